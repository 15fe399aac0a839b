//! WebSocket fan-out benchmark: `BENCH_CLIENTS` sockets of as many users in
//! one group room, one sender sending `BENCH_MESSAGES` messages over its own
//! socket; reports per-delivery latency (send to receipt, p50/p99) and the
//! gateway's RSS per idle socket.
//!
//! Run by `scripts/bench-ws.sh` (`just bench-ws`), which starts the gateway.
//! Environment:
//!
//! - `BENCH_URL` (required): the gateway's public listener, `http://host:port`;
//! - `BENCH_PID`: the gateway's pid, to read its RSS from `/proc`;
//! - `BENCH_CLIENTS` (1000), `BENCH_MESSAGES` (200), `BENCH_WARMUP` (20,
//!   the first messages, left out of the figures), `BENCH_INTERVAL_MS` (50,
//!   between two sends).
//!
//! Users are anonymous (`POST /api/v1/auth/anonymous`): the gateway must run
//! with `TRELLIS_RATE_LIMITS=off`. Latency is measured on one clock (this
//! process's): the sender stamps each message's text with the time it
//! wrote the frame; a receiver subtracts it when it reads the frame.

use std::{
    collections::HashMap,
    error::Error,
    process::ExitCode,
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};
use tokio::{net::TcpStream, sync::mpsc};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

type BoxError = Box<dyn Error + Send + Sync>;
type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Requests in flight while setting up.
const SETUP_CONCURRENCY: usize = 16;
/// Handshakes in flight while connecting.
const CONNECT_CONCURRENCY: usize = 64;
/// Group members given at creation (the API's maximum); the rest are added.
const CREATE_MEMBERS: usize = 100;

struct Options {
    url: String,
    pid: Option<u32>,
    clients: usize,
    messages: usize,
    warmup: usize,
    interval: Duration,
}

fn var<T: std::str::FromStr>(key: &str, default: T) -> Result<T, BoxError> {
    match std::env::var(key) {
        Ok(value) => value
            .parse()
            .map_err(|_| format!("{key}={value:?} is not valid").into()),
        Err(_) => Ok(default),
    }
}

fn options() -> Result<Options, BoxError> {
    let url = std::env::var("BENCH_URL").map_err(|_| "BENCH_URL is required")?;
    let pid = std::env::var("BENCH_PID")
        .ok()
        .map(|p| p.parse())
        .transpose()?;
    Ok(Options {
        url: url.trim_end_matches('/').to_string(),
        pid,
        clients: var("BENCH_CLIENTS", 1000)?,
        messages: var("BENCH_MESSAGES", 200)?,
        warmup: var("BENCH_WARMUP", 20)?,
        interval: Duration::from_millis(var("BENCH_INTERVAL_MS", 50)?),
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench-ws: error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn log(message: impl std::fmt::Display) {
    eprintln!("bench-ws: {message}");
}

struct User {
    id: String,
    token: String,
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> Result<Value, BoxError> {
    let mut request = http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        return Err(format!("POST {url}: {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text)?)
}

async fn anonymous(http: &reqwest::Client, api: &str) -> Result<User, BoxError> {
    let body = post(http, &format!("{api}/auth/anonymous"), None, json!({})).await?;
    let field = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .ok_or("no field in the tokens")
    };
    Ok(User {
        id: field(&body["user"]["id"])?,
        token: field(&body["access_token"])?,
    })
}

/// Resident memory of `pid`, in KiB.
fn rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| "no VmRSS".into())
}

/// A signed-in socket, after its `ready`.
async fn connect(ws_url: &str, token: &str) -> Result<Socket, BoxError> {
    let mut request = ws_url.into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(&format!("trellis.v1, bearer.{token}"))?,
    );
    let (mut socket, _) = connect_async(request).await?;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let frame: Value = serde_json::from_str(&text)?;
                if frame["type"] == "ready" {
                    return Ok(socket);
                }
                return Err(format!("expected ready, got {frame}").into());
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(err))) => return Err(err.into()),
            Ok(None) => return Err("closed before ready".into()),
            Err(_) => return Err("no ready within 10 s".into()),
        }
    }
}

/// What a receiver reports.
enum Heard {
    /// Message `seq` arrived `micros` after it was sent.
    Delivery { seq: usize, micros: u64 },
    /// The socket closed (code, or 1006 without a close frame).
    Closed(u16),
}

/// The bench text of a `message` frame: `bench <seq> <micros since start
/// at send>`. Found by a scan, not a parse: the client shares the CPUs with
/// the gateway, and should take as little of them as it can.
fn stamp(frame: &str) -> Option<(usize, u64)> {
    let rest = &frame[frame.find(r#""text":"bench "#)? + 14..];
    let mut words = rest.split([' ', '"']);
    Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

async fn receive(mut socket: Socket, start: Instant, heard: mpsc::UnboundedSender<Heard>) {
    while let Some(next) = socket.next().await {
        match next {
            Ok(Message::Text(text)) => {
                let now = micros(start);
                if let Some((seq, sent)) = stamp(&text) {
                    let _ = heard.send(Heard::Delivery {
                        seq,
                        micros: now.saturating_sub(sent),
                    });
                }
            }
            Ok(Message::Close(close)) => {
                let code = close.map_or(1005, |c| u16::from(c.code));
                let _ = heard.send(Heard::Closed(code));
                return;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let _ = heard.send(Heard::Closed(1006));
}

fn percentile(sorted: &[u64], p: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted[index] as f64 / 1000.0
}

async fn run() -> Result<(), BoxError> {
    let opts = options()?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let api = format!("{}/api/v1", opts.url);
    let ws_url = format!("{}/api/v1/ws", opts.url.replacen("http", "ws", 1));

    // 1. Users and the room.
    let setup = Instant::now();
    let sender = anonymous(&http, &api).await?;
    let receivers: Vec<User> = stream::iter(0..opts.clients)
        .map(|_| anonymous(&http, &api))
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect()
        .await?;
    let first: Vec<&str> = receivers
        .iter()
        .take(CREATE_MEMBERS)
        .map(|u| u.id.as_str())
        .collect();
    let room = post(
        &http,
        &format!("{api}/rooms"),
        Some(&sender.token),
        json!({"name": "bench", "members": first}),
    )
    .await?["id"]
        .as_str()
        .ok_or("no room id")?
        .to_string();
    let members = format!("{api}/rooms/{room}/members");
    stream::iter(receivers.iter().skip(CREATE_MEMBERS))
        .map(|u| {
            post(
                &http,
                &members,
                Some(&sender.token),
                json!({"user_id": u.id}),
            )
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    log(format_args!(
        "{} users in room {room} ({:.1} s)",
        opts.clients + 1,
        setup.elapsed().as_secs_f64()
    ));

    // 2. Idle sockets and their memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = opts.pid.map(rss_kib).transpose()?;
    let connecting = Instant::now();
    let sockets: Vec<Socket> = stream::iter(&receivers)
        .map(|u| connect(&ws_url, &u.token))
        .buffer_unordered(CONNECT_CONCURRENCY)
        .try_collect()
        .await?;
    log(format_args!(
        "{} sockets ready ({:.1} s)",
        sockets.len(),
        connecting.elapsed().as_secs_f64()
    ));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_idle = opts.pid.map(rss_kib).transpose()?;

    // 3. Fan-out.
    let start = Instant::now();
    let (heard, mut reports) = mpsc::unbounded_channel();
    for socket in sockets {
        tokio::spawn(receive(socket, start, heard.clone()));
    }
    drop(heard);
    let sender_socket = connect(&ws_url, &sender.token).await?;
    let (mut outgoing, mut incoming) = sender_socket.split();
    let acks = tokio::spawn(async move {
        let mut acks = 0_usize;
        let mut errors = Vec::new();
        while let Some(Ok(message)) = incoming.next().await {
            if let Message::Text(text) = message
                && let Ok(frame) = serde_json::from_str::<Value>(&text)
            {
                match frame["type"].as_str() {
                    Some("ack") => acks += 1,
                    Some("error") => errors.push(frame.to_string()),
                    _ => {}
                }
            }
        }
        (acks, errors)
    });
    let mut tick = tokio::time::interval(opts.interval);
    for seq in 0..opts.messages {
        tick.tick().await;
        let text = format!("bench {seq} {}", micros(start));
        let frame =
            json!({"type": "message", "room_id": room, "text": text, "client_id": seq.to_string()});
        outgoing.send(Message::text(frame.to_string())).await?;
    }
    log(format_args!(
        "sent {} messages, one every {} ms",
        opts.messages,
        opts.interval.as_millis()
    ));

    // 4. Deliveries, until all arrived or nothing came for 10 s.
    let expected = opts.messages * opts.clients;
    let mut latencies = Vec::with_capacity(expected);
    // Per message: its first and last delivery.
    let mut spans: HashMap<usize, (u64, u64)> = HashMap::new();
    let mut closes: HashMap<u16, usize> = HashMap::new();
    let mut delivered = 0;
    while delivered < expected {
        match tokio::time::timeout(Duration::from_secs(10), reports.recv()).await {
            Ok(Some(Heard::Delivery { seq, micros })) => {
                delivered += 1;
                if seq >= opts.warmup {
                    latencies.push(micros);
                    let span = spans.entry(seq).or_insert((micros, micros));
                    span.0 = span.0.min(micros);
                    span.1 = span.1.max(micros);
                }
            }
            Ok(Some(Heard::Closed(code))) => *closes.entry(code).or_default() += 1,
            Ok(None) | Err(_) => break,
        }
    }
    let _ = outgoing.close().await;
    let (acks, errors) = tokio::time::timeout(Duration::from_secs(5), acks)
        .await
        .unwrap_or(Ok((0, Vec::new())))
        .unwrap_or_default();
    latencies.sort_unstable();
    let mut firsts: Vec<u64> = spans.values().map(|(first, _)| *first).collect();
    let mut spreads: Vec<u64> = spans.values().map(|(first, last)| last - first).collect();
    firsts.sort_unstable();
    spreads.sort_unstable();

    // 5. Report.
    println!();
    println!(
        "WebSocket fan-out: {} sockets in one room, {} messages ({} warm-up left out), one every {} ms",
        opts.clients,
        opts.messages,
        opts.warmup,
        opts.interval.as_millis()
    );
    println!(
        "deliveries: {delivered} of {expected}; acks {acks} of {}; sockets closed: {closes:?}",
        opts.messages
    );
    for error in errors.iter().take(5) {
        println!("sender error: {error}");
    }
    println!(
        "RESULT p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} max_ms={:.2} samples={}",
        percentile(&latencies, 50),
        percentile(&latencies, 90),
        percentile(&latencies, 99),
        latencies.last().map_or(f64::NAN, |m| *m as f64 / 1000.0),
        latencies.len()
    );
    println!(
        "per message: first delivery p50_ms={:.2} p99_ms={:.2}; first to last p50_ms={:.2} p99_ms={:.2}",
        percentile(&firsts, 50),
        percentile(&firsts, 99),
        percentile(&spreads, 50),
        percentile(&spreads, 99)
    );
    if let (Some(before), Some(idle)) = (rss_before, rss_idle) {
        let per = idle.saturating_sub(before) as f64 / opts.clients.max(1) as f64;
        println!("RSS gateway_before_kib={before} gateway_idle_kib={idle} per_socket_kib={per:.1}");
    }
    if delivered < expected {
        return Err(format!("{} deliveries missing", expected - delivered).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_stamp_is_found_in_a_message_frame() {
        let frame = r#"{"message":{"created_at":"2030-01-01T00:00:00Z","deleted":false,"id":"x","room_id":"r","sender_id":"s","text":"bench 12 3456"},"type":"message"}"#;
        assert_eq!(super::stamp(frame), Some((12, 3456)));
        assert_eq!(super::stamp(r#"{"type":"typing"}"#), None);
    }
}
