-- A SELECT-only account for fth-report and fth-web (pair layout). Nothing else is needed:
-- both tools only send SELECT statements inside read-only transactions.
-- Replace the password and host pattern; run once per server (ingress and egress).

CREATE USER IF NOT EXISTS 'fth_reader'@'%' IDENTIFIED BY 'change-me';
GRANT SELECT ON `ingress`.`transfers` TO 'fth_reader'@'%';
GRANT SELECT ON `egress`.`transfers` TO 'fth_reader'@'%';
-- If both tables live on one server under other names, adjust the two lines above; for
-- fth-web's dashboard layout, its own table needs SELECT (and DELETE only if its admin page is on).
