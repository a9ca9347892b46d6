//! A minimal blocking HTTP/1.1 client over one keep-alive connection: enough for the teaching
//! server's tests, its load bench and a WebDriver session, without an async stack.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One connection to `host:port`.
pub struct Client {
    host: String,
    reader: BufReader<TcpStream>,
}

/// A response: its status code and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| format!("a JSON body (got {:?})", self.text()))
    }
}

/// Splits `http://host:port/path?query` into `host:port` and `/path?query`.
pub fn split_url(url: &str) -> Result<(String, String)> {
    let rest = url.strip_prefix("http://").with_context(|| format!("{url}: not an http:// URL"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    Ok((host.to_string(), if path.is_empty() { "/".into() } else { path.to_string() }))
}

impl Client {
    /// Connects to `host:port`.
    pub fn connect(host: &str) -> Result<Client> {
        let stream = TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_nodelay(true)?;
        Ok(Client { host: host.to_string(), reader: BufReader::new(stream) })
    }

    pub fn get(&mut self, path: &str) -> Result<Response> {
        self.send("GET", path, None, &[])
    }

    /// POSTs a JSON body.
    pub fn post_json(&mut self, path: &str, body: &serde_json::Value) -> Result<Response> {
        self.send("POST", path, Some("application/json"), body.to_string().as_bytes())
    }

    pub fn delete(&mut self, path: &str) -> Result<Response> {
        self.send("DELETE", path, None, &[])
    }

    /// Sends one request (`content_type` given when there is a body) and reads the response.
    pub fn send(&mut self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Result<Response> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n", self.host, body.len());
        if let Some(kind) = content_type {
            head.push_str(&format!("Content-Type: {kind}\r\n"));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        // A server may answer before reading the whole body (413) and close: read its answer then.
        let written = self.reader.get_mut().write_all(&request);
        let response = self.read_response().with_context(|| format!("{method} {path}"));
        match (written, response) {
            (Err(error), Err(_)) => Err(error).with_context(|| format!("{method} {path}")),
            (_, response) => response,
        }
    }

    fn read_response(&mut self) -> Result<Response> {
        let status_line = self.line()?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {status_line:?}"))?;
        let (mut length, mut chunked) = (None, false);
        loop {
            let line = self.line()?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').with_context(|| format!("bad header {line:?}"))?;
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = Some(value.trim().parse::<usize>()?),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
        let body = if chunked { self.chunked_body()? } else { self.exact(length.unwrap_or(0))? };
        Ok(Response { status, body })
    }

    fn chunked_body(&mut self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let size_line = self.line()?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .with_context(|| format!("bad chunk size {size_line:?}"))?;
            body.extend(self.exact(size)?);
            self.line()?;
            if size == 0 {
                return Ok(body);
            }
        }
    }

    fn exact(&mut self, n: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0; n];
        self.reader.read_exact(&mut buf)?;
        Ok(buf)
    }

    fn line(&mut self) -> Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            bail!("the server closed the connection");
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}
