//! A loopback TCP server that runs one task per connection: what the scripted SMTP stub and the
//! benchmark's sink share.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinSet};

/// Listens on 127.0.0.1:0; every accepted connection runs as its own task. Dropping it stops
/// the listener and every open session.
pub struct LoopbackServer {
    addr: SocketAddr,
    listener: AbortHandle,
    sessions: Arc<Mutex<JoinSet<()>>>,
}

impl LoopbackServer {
    /// Starts accepting; `session` is called in accept order (so it may number the sessions)
    /// and its future runs as the connection's task.
    pub async fn start<F, Fut>(session: F) -> LoopbackServer
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("loopback server: cannot bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("loopback server: no local address");
        let sessions = Arc::new(Mutex::new(JoinSet::new()));
        let set = sessions.clone();
        let task = tokio::spawn(async move {
            loop {
                // Transient accept errors (e.g. EMFILE): back off rather than spin.
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let task = session(stream);
                let mut set = set.lock().unwrap_or_else(|p| p.into_inner());
                // Reap finished sessions so the set does not grow without bound.
                while set.try_join_next().is_some() {}
                set.spawn(task);
            }
        });
        LoopbackServer {
            addr,
            listener: task.abort_handle(),
            sessions,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// lettre's URL form for a plain (no TLS) SMTP connection to this server.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port())
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.listener.abort();
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.abort_all();
    }
}
