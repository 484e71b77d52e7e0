//! Kodi's JSON-RPC notification socket: raw TCP (port 9090 by default), on which Kodi
//! pushes library events such as `VideoLibrary.OnScanFinished` and `VideoLibrary.OnUpdate`
//! to every connected client. `VideoLibrary.Scan` and `RefreshMovie` answer "OK" before
//! doing anything, so these events are the only proof that Kodi imported a change.
//!
//! The stream is JSON objects written back to back without any delimiter (observed on Kodi
//! 20.1), so one read may hold several objects and one object may span several reads. The
//! socket has no authentication; Kodi binds it to 127.0.0.1 unless "allow remote control
//! from other systems" is on, which is why an unreachable socket is normal, not an error
//! of the refresh.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::PlayerError;

/// More unparsed bytes than this means the peer is not sending Kodi's small JSON objects.
const MAX_PENDING_BYTES: usize = 4 * 1024 * 1024;

/// One notification as Kodi sends it:
/// `{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":{"data":{…},"sender":"xbmc"}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct KodiNotification {
    /// The notification's name, e.g. `VideoLibrary.OnScanFinished`.
    pub method: String,
    /// `params.data`; `null` for the scan and clean events.
    pub data: Value,
}

impl KodiNotification {
    /// The movie id an `OnUpdate`, `OnRemove` or `OnRefresh` names. Kodi nests the item
    /// under `data.item` for updates (`{"item":{"id":1,"type":"movie"},"added":true}`) and
    /// puts it flat for removals (`{"id":1,"type":"movie"}`); both are read.
    pub fn movie_id(&self) -> Option<i64> {
        self.item_id("movie")
    }

    /// The episode an `OnUpdate` or `OnRemove` names, if it names one.
    pub fn episode_id(&self) -> Option<i64> {
        self.item_id("episode")
    }

    fn item_id(&self, kind: &str) -> Option<i64> {
        let item = self.data.get("item").unwrap_or(&self.data);
        (item.get("type").and_then(Value::as_str) == Some(kind)).then(|| item.get("id").and_then(Value::as_i64))?
    }
}

/// A connection to Kodi's notification socket. Kodi sends every notification that
/// happens after [`connect`](Self::connect) returned.
#[derive(Debug)]
pub struct KodiNotifications {
    stream: TcpStream,
    /// `host:port` of the socket, for errors.
    player: String,
    /// Bytes read but not yet parsed into whole objects.
    pending: Vec<u8>,
    /// Whole notifications not yet handed out.
    parsed: VecDeque<KodiNotification>,
}

impl KodiNotifications {
    /// Connects to `host:port` and checks that Kodi answers there: a `JSONRPC.Ping` over the
    /// socket must come back as "pong" within `timeout`. Once it did, Kodi has registered the
    /// connection, so a scan requested afterwards cannot finish unseen.
    pub async fn connect(host: &str, port: u16, timeout: Duration) -> Result<Self, PlayerError> {
        let player = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let stream = match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
            Err(_) => return Err(PlayerError::Timeout { player, timeout }),
            Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(PlayerError::Refused { player });
            }
            Ok(Err(err)) => return Err(PlayerError::Unreachable { player, detail: err.to_string() }),
            Ok(Ok(stream)) => stream,
        };
        // Notifications are small and rare; Nagle would only delay our one ping.
        let _ = stream.set_nodelay(true);
        let mut socket = Self { stream, player, pending: Vec::new(), parsed: VecDeque::new() };
        socket.handshake(timeout).await?;
        Ok(socket)
    }

    /// `host:port` of the socket.
    pub fn player(&self) -> &str {
        &self.player
    }

    /// Sends a ping and waits for its answer, keeping any notification that arrives first.
    async fn handshake(&mut self, timeout: Duration) -> Result<(), PlayerError> {
        const PING_ID: &str = "metarr-subscribe";
        let ping = json!({ "jsonrpc": "2.0", "method": "JSONRPC.Ping", "id": PING_ID }).to_string();
        let deadline = Instant::now() + timeout;
        let write = self.stream.write_all(ping.as_bytes());
        match tokio::time::timeout_at(deadline, write).await {
            Err(_) => return Err(PlayerError::Timeout { player: self.player.clone(), timeout }),
            Ok(Err(err)) => return Err(self.transport(&err)),
            Ok(Ok(())) => {}
        }
        loop {
            let Some(message) = self.next_message(deadline).await? else {
                return Err(PlayerError::Timeout { player: self.player.clone(), timeout });
            };
            if message.get("id").and_then(Value::as_str) != Some(PING_ID) {
                if let Some(notification) = as_notification(&message) {
                    self.parsed.push_back(notification);
                }
                continue;
            }
            return match message.get("result").and_then(Value::as_str) {
                Some("pong") => Ok(()),
                _ => Err(PlayerError::NotKodi {
                    player: self.player.clone(),
                    detail: format!("the notification socket answered the ping with {message}"),
                }),
            };
        }
    }

    /// The next notification, or `None` when none arrived before `deadline`. Answers to
    /// requests (objects with an `id`) are skipped. A closed socket or bytes that are not
    /// JSON are errors.
    pub async fn next_before(&mut self, deadline: Instant) -> Result<Option<KodiNotification>, PlayerError> {
        loop {
            if let Some(notification) = self.parsed.pop_front() {
                return Ok(Some(notification));
            }
            let Some(message) = self.next_message(deadline).await? else { return Ok(None) };
            if let Some(notification) = as_notification(&message) {
                return Ok(Some(notification));
            }
        }
    }

    /// The next whole JSON value from the socket, reading as needed until `deadline`.
    async fn next_message(&mut self, deadline: Instant) -> Result<Option<Value>, PlayerError> {
        let mut chunk = [0_u8; 8192];
        loop {
            if let Some(value) = self.take_value()? {
                return Ok(Some(value));
            }
            let read = match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return Ok(None),
                Ok(read) => read.map_err(|err| self.transport(&err))?,
            };
            if read == 0 {
                return Err(PlayerError::Transport {
                    player: self.player.clone(),
                    detail: "Kodi closed the notification socket".to_owned(),
                });
            }
            self.pending.extend_from_slice(&chunk[..read]);
            if self.pending.len() > MAX_PENDING_BYTES {
                return Err(self.not_kodi(format!("more than {MAX_PENDING_BYTES} bytes without a whole JSON object")));
            }
        }
    }

    /// Removes the first whole JSON value from the pending bytes, if there is one. Kodi
    /// writes objects back to back, so a streaming parser finds where each one ends; an
    /// object cut short by the end of a read waits for the next read.
    fn take_value(&mut self) -> Result<Option<Value>, PlayerError> {
        let mut values = serde_json::Deserializer::from_slice(&self.pending).into_iter::<Value>();
        match values.next() {
            None => {
                // Only whitespace so far.
                self.pending.clear();
                Ok(None)
            }
            Some(Ok(value)) => {
                let consumed = values.byte_offset();
                self.pending.drain(..consumed);
                Ok(Some(value))
            }
            Some(Err(err)) if err.is_eof() => Ok(None),
            Some(Err(err)) => {
                Err(self.not_kodi(format!("the notification socket sent something that is not JSON: {err}")))
            }
        }
    }

    fn transport(&self, err: &std::io::Error) -> PlayerError {
        PlayerError::Transport { player: self.player.clone(), detail: format!("notification socket: {err}") }
    }

    fn not_kodi(&self, detail: String) -> PlayerError {
        PlayerError::NotKodi { player: self.player.clone(), detail }
    }
}

/// A JSON-RPC notification (a `method` and no `id`), or `None` for anything else.
fn as_notification(message: &Value) -> Option<KodiNotification> {
    if message.get("id").is_some() {
        return None;
    }
    let method = message.get("method")?.as_str()?.to_owned();
    let data = message.pointer("/params/data").cloned().unwrap_or(Value::Null);
    Some(KodiNotification { method, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(text: &str) -> KodiNotification {
        as_notification(&serde_json::from_str(text).expect("test JSON")).expect("a notification")
    }

    #[test]
    fn movie_ids_are_read_from_updates_and_removals() {
        let update = notification(
            r#"{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":{"data":{"added":true,"item":{"id":5,"type":"movie"},"transaction":true},"sender":"xbmc"}}"#,
        );
        assert_eq!(update.movie_id(), Some(5));
        let removal = notification(
            r#"{"jsonrpc":"2.0","method":"VideoLibrary.OnRemove","params":{"data":{"id":1,"type":"movie"},"sender":"xbmc"}}"#,
        );
        assert_eq!(removal.movie_id(), Some(1));
        let episode = notification(
            r#"{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":{"data":{"item":{"id":7,"type":"episode"}},"sender":"xbmc"}}"#,
        );
        assert_eq!((episode.movie_id(), episode.episode_id()), (None, Some(7)));
        assert_eq!(update.episode_id(), None, "a movie is not an episode");
        let finished = notification(
            r#"{"jsonrpc":"2.0","method":"VideoLibrary.OnScanFinished","params":{"data":null,"sender":"xbmc"}}"#,
        );
        assert_eq!((finished.method.as_str(), finished.movie_id()), ("VideoLibrary.OnScanFinished", None));
    }

    #[test]
    fn answers_are_not_notifications() {
        let answer: Value = serde_json::from_str(r#"{"id":1,"jsonrpc":"2.0","result":"OK"}"#).expect("test JSON");
        assert_eq!(as_notification(&answer), None);
    }
}
