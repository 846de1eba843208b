//! Turns off Nagle's algorithm on the PostgreSQL pool's TCP connections.
//!
//! sqlx 0.9.0 opens its TCP sockets without `TCP_NODELAY` (sqlx issue #4335; the fix is merged
//! upstream but not in a release). A client message the connection writes in two parts — one
//! longer than a TLS record (16 KiB), or than a TCP segment without TLS — then sends its second
//! part only once the server has acknowledged the first, and the server delays that
//! acknowledgement by about 40 ms. A page of classified records writes its read events in one
//! such message, so every page read waited 40 ms while holding the audit chain's lock.
//!
//! sqlx does not hand out its socket, so each new connection asks the server which client port
//! it sees, and the process's socket bound to that port and connected to the server's port gets
//! the option, through a duplicate of its descriptor (`pidfd_getfd`, Linux 5.6 and later).
//! Where that cannot be done the connection is used as it is: only slower on large messages.

use sea_orm::sqlx::postgres::PgConnection;

/// Sets `TCP_NODELAY` on a freshly opened connection. Never fails the connection: one over a
/// Unix socket has nothing to set, and a socket that cannot be found (a proxy or NAT between
/// the two, where the server sees other ports) or changed is logged.
pub async fn disable_nagle(conn: &mut PgConnection) -> Result<(), sea_orm::sqlx::Error> {
    let (client_port, server_port): (Option<i32>, Option<i32>) = sea_orm::sqlx::query_as("SELECT inet_client_port(), inet_server_port()")
        .fetch_one(&mut *conn)
        .await?;
    let port = |p: Option<i32>| p.and_then(|p| u16::try_from(p).ok());
    let (Some(client_port), Some(server_port)) = (port(client_port), port(server_port)) else {
        return Ok(());
    };
    match set_on_connection(client_port, server_port) {
        Ok(true) => {}
        Ok(false) => tracing::debug!(
            client_port,
            "no local socket matches the database connection; Nagle's algorithm stays on"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "cannot turn off Nagle's algorithm on a database connection; large statements may wait ~40 ms")
        }
    }
    Ok(())
}

/// Sets `TCP_NODELAY` on the process's TCP socket from `local_port` to `peer_port`; whether one
/// was found.
#[cfg(target_os = "linux")]
pub fn set_on_connection(local_port: u16, peer_port: u16) -> std::io::Result<bool> {
    let Some(socket) = socket_between(local_port, peer_port)? else {
        return Ok(false);
    };
    rustix::net::sockopt::set_tcp_nodelay(&socket, true)?;
    Ok(true)
}

/// Whether the process's TCP socket from `local_port` to `peer_port` has `TCP_NODELAY`; `None`
/// when there is no such socket.
#[cfg(target_os = "linux")]
pub fn is_set_on_connection(local_port: u16, peer_port: u16) -> std::io::Result<Option<bool>> {
    let Some(socket) = socket_between(local_port, peer_port)? else {
        return Ok(None);
    };
    Ok(Some(rustix::net::sockopt::tcp_nodelay(&socket)?))
}

/// A duplicate of the descriptor of the process's TCP socket from `local_port` to `peer_port`.
#[cfg(target_os = "linux")]
fn socket_between(local_port: u16, peer_port: u16) -> std::io::Result<Option<std::os::fd::OwnedFd>> {
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};

    let port_of = |addr: Option<rustix::net::SocketAddrAny>| addr.and_then(|a| std::net::SocketAddr::try_from(a).ok()).map(|a| a.port());
    let pidfd = pidfd_open(getpid(), PidfdFlags::empty())?;
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let entry = entry?;
        if !std::fs::read_link(entry.path()).is_ok_and(|target| target.to_string_lossy().starts_with("socket:")) {
            continue;
        }
        let Some(fd) = entry.file_name().to_str().and_then(|name| name.parse().ok()) else {
            continue;
        };
        // The descriptor may have been closed since the listing: skip it then.
        let Ok(socket) = pidfd_getfd(&pidfd, fd, PidfdGetfdFlags::empty()) else {
            continue;
        };
        let local = port_of(rustix::net::getsockname(&socket).ok());
        let peer = port_of(rustix::net::getpeername(&socket).ok().flatten());
        if local == Some(local_port) && peer == Some(peer_port) {
            return Ok(Some(socket));
        }
    }
    Ok(None)
}

#[cfg(not(target_os = "linux"))]
pub fn set_on_connection(_local_port: u16, _peer_port: u16) -> std::io::Result<bool> {
    Ok(false)
}

#[cfg(not(target_os = "linux"))]
pub fn is_set_on_connection(_local_port: u16, _peer_port: u16) -> std::io::Result<Option<bool>> {
    Ok(None)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn sets_nodelay_on_the_matching_socket_only() -> std::io::Result<()> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let server_port = listener.local_addr()?.port();
        let other = std::net::TcpStream::connect(("127.0.0.1", server_port))?;
        let client = std::net::TcpStream::connect(("127.0.0.1", server_port))?;
        assert!(!client.nodelay()? && !other.nodelay()?);

        assert!(set_on_connection(client.local_addr()?.port(), server_port)?);
        assert!(client.nodelay()?);
        assert!(!other.nodelay()?);
        assert_eq!(is_set_on_connection(client.local_addr()?.port(), server_port)?, Some(true));
        assert_eq!(is_set_on_connection(other.local_addr()?.port(), server_port)?, Some(false));
        // A port pair with no socket behind it.
        assert!(!set_on_connection(client.local_addr()?.port(), server_port.wrapping_add(1))?);
        Ok(())
    }
}
