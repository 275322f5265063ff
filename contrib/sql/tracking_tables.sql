-- Tracking tables of the system under test, as fth-report and fth-web expect them by default
-- (names are configurable: tracking.<role>.table and tracking.<role>.columns in the YAML).
-- Create one in the ingress database and one in the egress database, e.g.
--   mysql ingress < contrib/sql/tracking_tables.sql
--   mysql egress  < contrib/sql/tracking_tables.sql
-- DATETIME values carry no zone: set tracking.<role>.timezone to the zone they are written in
-- (default: the server's session time zone).

CREATE TABLE IF NOT EXISTS `transfers` (
  `id`        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  `UUID`      CHAR(36)        NOT NULL COMMENT 'one transfer; the same value in ingress and egress',
  `username`  VARCHAR(255)    NULL     COMMENT 'account that sent the file; maps rows to fth jobs',
  `filename`  VARCHAR(1024)   NULL,
  `startTime` DATETIME(3)     NOT NULL COMMENT 'processing started',
  `endTime`   DATETIME(3)     NULL     COMMENT 'processing ended; NULL while in progress',
  `status`    ENUM('SUCCESS', 'FAILED', 'TIMEOUT') NULL,
  PRIMARY KEY (`id`),
  KEY `ix_transfers_start` (`startTime`),       -- fth-report selects the window by startTime
  KEY `ix_transfers_uuid` (`UUID`),             -- and looks partners up by UUID (not UNIQUE, so
                                                -- duplicates stay visible to the data-quality check)
  KEY `ix_transfers_user_start` (`username`, `startTime`)  -- fth-web filters recent rows by user
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
