//! `GET /api/v1/events`: a WebSocket pushing job events as `{ "type", "data" }` messages.
//!
//! The queue must never wait for a client. Each socket reads from its own broadcast receiver;
//! a client that falls so far behind that the receiver lags, or that does not take a message
//! within [`SEND_TIMEOUT`], is disconnected. It may reconnect and reload state from the API.

use crate::routes::AppState;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use metarr_queue::JobEvent;
use std::time::Duration;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long one message may take to reach a client's socket before the client is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(2);
/// Close code for "going away" (server shutdown).
const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code for "policy violation": the client fell too far behind.
const CLOSE_TOO_SLOW: u16 = 1008;

/// Live events over a WebSocket: job changes, scans, and changes to movies and series.
///
/// Each message is a JSON text `{ "type": "job.completed", "data": { … } }` (docs/contracts.md
/// lists the types). Subscribing starts before the upgrade is answered, so a client that sees
/// the connection open sees every event from then on. A client that falls behind is closed
/// with code 1008 and may reconnect; the server closes with 1001 when it shuts down. Browsers
/// cannot set headers on a WebSocket: give the key as `?apikey=`.
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request", content_type = "text/plain", body = String),
        (status = 426, description = "The connection cannot be upgraded", content_type = "text/plain", body = String),
    )
)]
pub async fn subscribe(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    let events = state.queue.subscribe();
    let app_events = state.events.subscribe();
    let shutdown = state.shutdown.clone();
    // The socket lives on after the response: its lines stay in the request's span.
    let span = tracing::Span::current();
    // `forward` is called inside it, so that its own span is a child of the request's.
    upgrade
        .on_upgrade(move |socket| async move { forward(socket, events, app_events, shutdown).await }.instrument(span))
}

#[tracing::instrument(skip_all)]
async fn forward(
    mut socket: WebSocket,
    mut events: Receiver<JobEvent>,
    mut app_events: Receiver<std::sync::Arc<str>>,
    shutdown: CancellationToken,
) {
    tracing::debug!("event client connected");
    loop {
        tokio::select! {
            () = shutdown.cancelled() => {
                close(&mut socket, CLOSE_GOING_AWAY, "server shutting down").await;
                return;
            }
            incoming = socket.recv() => match incoming {
                // Clients have nothing to say; pings are answered by the library.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            event = app_events.recv() => {
                if !relay(&mut socket, event.map(|text| text.to_string())).await {
                    return;
                }
            }
            event = events.recv() => {
                if !relay(&mut socket, event.map(|event| event.to_message().to_string())).await {
                    return;
                }
            }
        }
    }
}

/// Passes on what one subscription received; false when the client is dropped (it is gone,
/// stuck or fell behind) or the stream ended.
async fn relay(socket: &mut WebSocket, received: Result<String, RecvError>) -> bool {
    match received {
        Ok(text) => send(socket, text).await,
        Err(RecvError::Lagged(missed)) => {
            tracing::info!(missed, "disconnecting an event client that fell behind");
            close(socket, CLOSE_TOO_SLOW, "too slow: events were dropped; reconnect").await;
            false
        }
        Err(RecvError::Closed) => {
            close(socket, CLOSE_GOING_AWAY, "event stream ended").await;
            false
        }
    }
}

/// Sends a close frame if the client takes it quickly; gives up otherwise.
async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

/// Sends one message; false when the client is gone or stuck (then it is dropped).
async fn send(socket: &mut WebSocket, text: String) -> bool {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => false,
        Err(_) => {
            tracing::info!("disconnecting an event client that stopped reading");
            false
        }
    }
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(subscribe))
}
