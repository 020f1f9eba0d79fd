// Package offload runs a composition's background work — backfills, the
// losing side of a race, anything a caller must not wait for — with bounds:
//
//   - a concurrency limit (WithLimit, default 64): a task that cannot start at
//     once is dropped, never queued, so Submit never blocks and nothing grows
//     with load (unlike an unbounded channel of pending backfills);
//   - per-key de-duplication: while a task with a key runs, another task with
//     the same key is dropped;
//   - a per-task timeout (WithTimeout, default 5 s) through the task's context,
//     which keeps the submitter's values but not its cancellation;
//   - ownership: every task's goroutine is tracked; Wait(ctx) waits for them,
//     Close and Shutdown(ctx) stop intake and drain them.
//
// Submit reports what it did (Accepted, Duplicate, Full, Closed) and Stats
// counts each, so that dropped work is visible rather than silent.
package offload
