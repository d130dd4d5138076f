-- The sign-in limiter's counters, in the database so that every node of a cluster counts the same
-- failures. limit_key is "e:<email>" or "a:<source address>"; failures counts the attempts charged
-- since window_start; locked_until, when set, refuses the key until then. A row whose window and lock
-- are both over means nothing any more and is pruned.
CREATE TABLE signin_limits (
    limit_key    TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);

CREATE INDEX signin_limits_window_start ON signin_limits (window_start);
