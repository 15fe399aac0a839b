//! `trellis healthcheck`: asks a running server's `/healthz`, for container
//! health checks, so the runtime image needs no curl or wget.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

/// Where to find the local server: the configured public address, with an
/// unspecified host (0.0.0.0, ::) replaced by loopback.
pub fn local_target(listen: SocketAddr) -> SocketAddr {
    let mut target = listen;
    if target.ip().is_unspecified() {
        target.set_ip(if listen.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    target
}

/// GETs `/healthz` over plain HTTP/1.1; `Ok` when the status is 200.
pub fn check(target: SocketAddr, timeout: Duration) -> Result<(), String> {
    let mut stream =
        TcpStream::connect_timeout(&target, timeout).map_err(|e| format!("{target}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut head = [0_u8; 64];
    let n = stream.read(&mut head).map_err(|e| e.to_string())?;
    let status_line = String::from_utf8_lossy(&head[..n]);
    if status_line.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!(
            "unhealthy: {}",
            status_line.lines().next().unwrap_or("no answer")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_hosts_become_loopback() {
        let v4: SocketAddr = "0.0.0.0:8080"
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([1, 1, 1, 1], 1)));
        assert_eq!(local_target(v4).to_string(), "127.0.0.1:8080");
        let v6: SocketAddr = "[::]:9000".parse().unwrap_or(v4);
        assert_eq!(local_target(v6).to_string(), "[::1]:9000");
        let fixed: SocketAddr = "10.1.2.3:80".parse().unwrap_or(v4);
        assert_eq!(local_target(fixed), fixed);
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 1)));
        assert!(check(free, Duration::from_millis(200)).is_err());
    }
}
