//! The HTTP server's accept loop: a header read timeout, a limit on open connections, graceful
//! shutdown, and the peer address for `ConnectInfo` (the UI's loopback trust reads it).
//!
//! `axum::serve` has neither a timeout for request heads nor a connection limit, so a client
//! that opens connections and trickles bytes (or none) could hold every file descriptor forever
//! (issue 11). Connections are served by hyper's HTTP/1 connection directly rather than through
//! hyper-util's `auto` builder: the latter first reads up to 24 bytes to tell HTTP/1 from HTTP/2
//! with no timeout, so a client that sends nothing would still be held open. (The server never
//! spoke HTTP/2: axum is built without it.)

use crate::config::HttpSettings;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::Service;

/// What a connection over the limit reads before it is closed.
const OVER_LIMIT_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
    connection: close\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\ncontent-length: 42\r\n\r\n\
    too many open connections; try again soon\n";
/// Refused connections are logged at most this often, with how many there were since.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(60);
/// Pause after an accept error that is not about one connection (out of file descriptors).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` fires, then stops accepting, lets requests in
/// flight finish and waits up to `drain` for open connections (WebSockets too) to close.
///
/// Over the limit a new connection is answered 503 and closed at once, rather than left waiting
/// in the listen backlog: the process's descriptors and memory stay bounded either way, but an
/// immediate answer tells a legitimate client what happened, while a waiting one would sit on a
/// socket nobody reads, and the kernel would start dropping new connections silently once the
/// backlog filled. Slots come back by themselves: a client holding one without sending a
/// request loses it after the header timeout.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &HttpSettings,
    shutdown: CancellationToken,
    drain: Duration,
) {
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The timer starts when hyper waits for a request head: on a new connection and between
    // keep-alive requests, so idle connections are closed after the same time.
    builder.timer(TokioTimer::new()).header_read_timeout(settings.header_timeout);
    let mut refusals = RefusalLog::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(err, &shutdown).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            refusals.refused(settings.max_connections);
            refuse(stream);
            continue;
        };
        // The slot lives in the stream, so it is released when the socket closes, also when a
        // WebSocket took the connection over after an upgrade.
        let io = TokioIo::new(SlotStream { stream, _slot: slot });
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(request)
        });
        let connection = builder.serve_connection(io, service).with_upgrades();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let mut connection = pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            // Timeouts, resets and malformed requests are the client's business, not an error here.
            if let Err(err) = result {
                tracing::debug!(%peer, error = %err, "HTTP connection ended with an error");
            }
        });
    }
    drop(listener);
    let all = u32::try_from(settings.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(drain, slots.acquire_many(all)).await.is_err() {
        let open = settings.max_connections - slots.available_permits();
        tracing::warn!(open, "HTTP connections still open after the shutdown grace period; stopping without them");
    }
}

/// Answers 503 without waiting for the client, then closes.
fn refuse(stream: TcpStream) {
    // Read what already arrived, so that closing does not reset the connection before the client
    // reads the answer; nothing here waits for the client.
    let mut sink = [0u8; 4096];
    while matches!(stream.try_read(&mut sink), Ok(read) if read > 0) {}
    let _ = stream.try_write(OVER_LIMIT_RESPONSE);
}

async fn accept_failed(err: io::Error, shutdown: &CancellationToken) {
    // These concern one connection that went away before it was accepted.
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    ) {
        return;
    }
    // Out of file descriptors, typically: retrying at once would spin.
    tracing::error!(error = %err, "accepting an HTTP connection failed; pausing");
    tokio::select! {
        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
        () = shutdown.cancelled() => {}
    }
}

/// Logs refused connections without letting a flood of them flood the log.
#[derive(Default)]
struct RefusalLog {
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl RefusalLog {
    fn refused(&mut self, limit: usize) {
        self.unlogged += 1;
        let now = Instant::now();
        if self.last_logged.is_none_or(|last| now.duration_since(last) >= REFUSAL_LOG_INTERVAL) {
            tracing::warn!(
                limit,
                refused = self.unlogged,
                "HTTP connection limit reached: refusing new connections (METARR_HTTP__MAX_CONNECTIONS)"
            );
            self.last_logged = Some(now);
            self.unlogged = 0;
        }
    }
}

/// A connection and its slot among the open connections.
struct SlotStream {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl AsyncRead for SlotStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SlotStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
