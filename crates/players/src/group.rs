//! Player-group fallback: players of one group share a library database, so asking any
//! reachable member is enough.

use std::future::Future;

use crate::PlayerError;

/// Runs `op` on each player in order until one succeeds. Moves on only when a player could
/// not be reached ([`PlayerError::is_connection_failure`]); any other error (a 401 above
/// all, which needs the user to fix the credentials) is returned at once, since another
/// member would most likely answer the same. Returns the first success or the last error.
pub async fn try_in_order<'a, P, T, F, Fut>(players: &'a [P], mut op: F) -> Result<T, PlayerError>
where
    // Tying the borrow to the slice lets `op` return a future that borrows the player
    // (`|client| client.ping()`).
    F: FnMut(&'a P) -> Fut,
    Fut: Future<Output = Result<T, PlayerError>>,
{
    let mut last_error = PlayerError::NoPlayers;
    for player in players {
        match op(player).await {
            Ok(value) => return Ok(value),
            Err(err) if err.is_connection_failure() => {
                tracing::debug!(error = %err, "player unreachable, trying the next one in the group");
                last_error = err;
            }
            Err(err) => return Err(err),
        }
    }
    Err(last_error)
}
