//! A minimal HTTP/1.1 server that answers every request with one fixed JSON body and checks no
//! credentials. The token-overhead scenario runs against it, so that a call with a token and a
//! call without one cost the server the same and only the client's work differs.
//!
//! Run as its own process (`bsa-lms-bench canned --body FILE`): it prints
//! `CANNED_URL=http://127.0.0.1:<port>` and serves until its stdin closes.

use std::convert::Infallible;
use std::io::{Read, Write};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::sandbox::Failure;

pub fn serve(body_path: &str) -> Result<(), Failure> {
    let body = Bytes::from(std::fs::read(body_path)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "CANNED_URL=http://{addr}")?;
            out.flush()?;
        }
        let (tx, mut stdin_closed) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
        loop {
            tokio::select! {
                _ = &mut stdin_closed => return Ok(()),
                accepted = listener.accept() => {
                    let (stream, _) = accepted?;
                    let _ = stream.set_nodelay(true);
                    let body = body.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |_req| {
                            let body = body.clone();
                            async move {
                                let mut resp = Response::new(Full::new(body));
                                resp.headers_mut().insert(
                                    hyper::header::CONTENT_TYPE,
                                    hyper::header::HeaderValue::from_static("application/json"),
                                );
                                Ok::<_, Infallible>(resp)
                            }
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }
    })
}
