"""Many clients at once against a Flask test client, from greenlets (the tests of answers given meanwhile)."""

from typing import Any, Dict, List, Sequence

import gevent


def poll_concurrently(client: Any, paths: Sequence[str], rounds: int, pause_s: float,
                      timeout: float) -> List[Dict[str, Any]]:
    """``rounds`` times: sleep ``pause_s`` (refresh intervals pass), then GET every path of ``paths`` at once.
    Every answer must be 200; returns their JSON bodies."""
    import time

    bodies: List[Dict[str, Any]] = []

    def poll(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200
        bodies.append(response.get_json())

    for _ in range(rounds):
        time.sleep(pause_s)
        jobs = [gevent.spawn(poll, path) for path in paths]
        gevent.joinall(jobs, timeout=timeout, raise_error=True)
        assert all(job.successful() for job in jobs)
    return bodies
