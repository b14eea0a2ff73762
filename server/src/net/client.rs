//! daned's one DNS client (RFC 1035 section 4.2, RFC 7766): one request to one server, and
//! the response checked against it. The rollover's observations ask secondaries and parent
//! servers with it ([`crate::daemon::observe`]), NOTIFY goes out through it
//! ([`crate::xfr::notify`]), and the doctor asks its resolver with it ([`crate::doctor::dns`]).
//!
//! - Messages are built and parsed with hickory-proto; the TSIG record is added and checked on
//!   the wire form with [`crate::net::tsig`], with a key the caller passes in.
//! - UDP first, then TCP when the UDP response has TC set (RFC 7766 section 5).
//! - One deadline bounds the whole exchange: the UDP wait, the TCP connect, and reading the
//!   TCP length and body. A server that dribbles its answer byte by byte does not stretch it.
//! - A response whose ID, QR flag, opcode or question does not match the request is not ours:
//!   on UDP it is ignored and the wait goes on (an off-path forger must not end the exchange),
//!   on TCP, where nothing else can arrive, it is an error. A datagram with our ID that is
//!   malformed, too large or fails TSIG is skipped as well, and is what the deadline reports.
//! - Errors are typed ([`ClientError`]) so that a caller tells "could not ask" (timeout, socket,
//!   garbage) from "the server says no" (a well-formed response and its RCODE).

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::ProtoError;
use hickory_proto::op::{Edns, Header, Message, MessageType, OpCode, Query};
use hickory_proto::rr::RecordType;
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, DecodeError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::Instant;
use zones::Name;

use crate::net::tsig::{ResponseSigner, ResponseTsigError, TsigKey};

/// The largest response accepted when the caller sets no cap: the largest DNS message TCP can
/// carry (RFC 1035 section 4.2.2, a 16-bit length).
pub const MAX_RESPONSE: usize = 65_535;

//------------ Client --------------------------------------------------------

/// Asks one server: where, how long a request may take as a whole, how large a response may
/// be, and the TSIG key that signs requests and must sign responses.
#[derive(Clone, Debug)]
pub struct Client {
    /// The server.
    server: SocketAddr,
    /// The bound of one exchange, from the first send to the last byte read.
    timeout: Duration,
    /// The largest response accepted, in octets.
    max_response: usize,
    /// The key requests are signed with (RFC 8945), if any.
    tsig: Option<TsigKey>,
}

impl Client {
    /// A client of `server` whose exchanges each take at most `timeout`.
    pub fn new(server: SocketAddr, timeout: Duration) -> Self {
        Self {
            server,
            timeout,
            max_response: MAX_RESPONSE,
            tsig: None,
        }
    }

    /// Signs every request with `key` and accepts only responses signed with it.
    pub fn with_tsig(mut self, key: TsigKey) -> Self {
        self.tsig = Some(key);
        self
    }

    /// Accepts responses of at most `octets` (larger ones are [`ClientError::TooLarge`]).
    pub fn with_max_response(mut self, octets: usize) -> Self {
        self.max_response = octets.min(MAX_RESPONSE);
        self
    }

    /// The server asked.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Sends `request` and returns the response that answers it, within the timeout.
    pub async fn ask(&self, request: &Request) -> Result<Response, ClientError> {
        let deadline = Instant::now() + self.timeout;
        let id = random_id();
        let mut wire = request.to_wire(id)?;
        let request_mac = self.tsig.as_ref().map(|key| {
            let mut signer =
                ResponseSigner::for_request(key, id, crate::answer::signed::unix_now());
            signer.sign(&mut wire);
            signer.mac().to_vec()
        });
        let expect = Expected {
            id,
            request,
            tsig: self.tsig.as_ref().zip(request_mac.as_deref()),
        };
        let exchange = async {
            match self.ask_udp(&wire, &expect, deadline).await? {
                Some(response) => Ok(response),
                None => self.ask_tcp(&wire, &expect).await,
            }
        };
        tokio::time::timeout_at(deadline, exchange)
            .await
            .unwrap_or(Err(ClientError::Timeout(self.timeout)))
    }

    /// The UDP exchange: the response, or `None` when it is truncated (ask again over TCP).
    /// Datagrams that are not the response are skipped until `deadline`: a mismatch silently,
    /// a datagram with our ID that is malformed, too large or fails TSIG is remembered and
    /// reported if nothing better comes (it may be forged, and must not end the wait).
    async fn ask_udp(
        &self,
        wire: &[u8],
        expect: &Expected<'_>,
        deadline: Instant,
    ) -> Result<Option<Response>, ClientError> {
        let bind: SocketAddr = if self.server.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(bind).await?;
        // Connected: the kernel drops datagrams from any other address.
        socket.connect(self.server).await?;
        socket.send(wire).await?;
        // One octet more than the cap, to see that a datagram exceeds it.
        let mut buf = vec![0u8; self.max_response + 1];
        // A datagram that is not an acceptable answer is skipped; when it had our ID, why it
        // was not acceptable is what the deadline reports.
        let mut rejected = None;
        loop {
            let n = match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
                Ok(received) => received?,
                Err(_) => return Err(rejected.unwrap_or(ClientError::Timeout(self.timeout))),
            };
            let checked = if n > self.max_response {
                Err(ClientError::TooLarge {
                    limit: self.max_response,
                })
            } else {
                expect.check(&buf[..n], Transport::Udp)
            };
            match checked {
                Ok(Checked::Truncated) => return Ok(None),
                Ok(Checked::Complete(message)) => {
                    return Ok(Some(Response {
                        message,
                        transport: Transport::Udp,
                        size: n,
                    }));
                }
                Err(ClientError::Mismatch(_)) => {}
                Err(e) => rejected = Some(e),
            }
        }
    }

    /// The TCP exchange (RFC 7766 section 8: a two-octet length, then the message).
    async fn ask_tcp(&self, wire: &[u8], expect: &Expected<'_>) -> Result<Response, ClientError> {
        let mut stream = TcpStream::connect(self.server).await?;
        let len = u16::try_from(wire.len()).map_err(|_| ClientError::RequestTooLarge)?;
        let mut framed = Vec::with_capacity(2 + wire.len());
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(wire);
        stream.write_all(&framed).await?;
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).await?;
        let len = usize::from(u16::from_be_bytes(len));
        if len > self.max_response {
            return Err(ClientError::TooLarge {
                limit: self.max_response,
            });
        }
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).await?;
        match expect.check(&body, Transport::Tcp)? {
            Checked::Complete(message) => Ok(Response {
                message,
                transport: Transport::Tcp,
                size: len,
            }),
            Checked::Truncated => Err(ClientError::Truncated),
        }
    }
}

//------------ Request -------------------------------------------------------

/// A request to send: one question, opcode and flags. The message ID is chosen per exchange.
#[derive(Clone, Debug)]
pub struct Request {
    /// The message, ID 0 until sent.
    message: Message,
}

impl Request {
    /// A standard query for `rtype` at `name`, class IN, no flags set.
    pub fn query(name: &Name, rtype: RecordType) -> Self {
        let mut message = Message::new(0, MessageType::Query, OpCode::Query);
        message.add_query(Query::query(name.clone(), rtype));
        Self { message }
    }

    /// A NOTIFY for `zone`: opcode NOTIFY, AA, the zone's SOA as question (RFC 1996 section
    /// 3.7).
    pub fn notify(zone: &Name) -> Self {
        let mut message = Message::new(0, MessageType::Query, OpCode::Notify);
        message.metadata.authoritative = true;
        message.add_query(Query::query(zone.clone(), RecordType::SOA));
        Self { message }
    }

    /// Sets RD: the server may recurse (RFC 1035 section 4.1.1).
    pub fn with_recursion_desired(mut self) -> Self {
        self.message.metadata.recursion_desired = true;
        self
    }

    /// Sets CD: a validating resolver returns bogus data rather than SERVFAIL (RFC 4035
    /// section 3.2.2).
    pub fn with_checking_disabled(mut self) -> Self {
        self.message.metadata.checking_disabled = true;
        self
    }

    /// Adds an EDNS(0) OPT record (RFC 6891) announcing `payload` octets over UDP, with DO set
    /// so that RRSIGs come back (RFC 3225).
    pub fn with_dnssec_ok(mut self, payload: u16) -> Self {
        let mut edns = Edns::new();
        edns.set_max_payload(payload).set_dnssec_ok(true);
        self.message.set_edns(edns);
        self
    }

    /// The question.
    pub fn question(&self) -> Option<&Query> {
        self.message.queries.first()
    }

    /// The wire form with message ID `id`.
    pub fn to_wire(&self, id: u16) -> Result<Vec<u8>, ClientError> {
        let mut message = self.message.clone();
        message.metadata.id = id;
        message.to_vec().map_err(ClientError::Encode)
    }
}

//------------ Response ------------------------------------------------------

/// A response that answers the request: same ID, opcode and question, and signed with the
/// request's key when there is one.
#[derive(Clone, Debug)]
pub struct Response {
    /// The parsed message.
    pub message: Message,
    /// How it came.
    pub transport: Transport,
    /// Its size on the wire, in octets.
    pub size: usize,
}

/// UDP or TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// A datagram.
    Udp,
    /// A stream, after a truncated datagram.
    Tcp,
}

//------------ ClientError ---------------------------------------------------

/// Why a request got no usable response. Every variant means "could not check": a response
/// that says no (NXDOMAIN, REFUSED, ...) is a [`Response`], with its RCODE.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No response within the timeout (for the whole exchange).
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// A socket failed (refused, reset, closed early).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The request could not be encoded.
    #[error("cannot encode the request: {0}")]
    Encode(#[source] ProtoError),
    /// The request does not fit a TCP message (RFC 1035 section 4.2.2).
    #[error("the request is larger than 65535 octets")]
    RequestTooLarge,
    /// The response is larger than the cap.
    #[error("the response is larger than {limit} octets")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// The TCP response has TC set: it cannot be complete (RFC 7766 section 5).
    #[error("the TCP response is truncated")]
    Truncated,
    /// The response could not be parsed (RFC 1035 section 4.1).
    #[error("malformed response: {0}")]
    Malformed(#[source] DecodeError),
    /// The response does not answer the request (over TCP; ignored over UDP).
    #[error("the response does not match the request: {0}")]
    Mismatch(Mismatch),
    /// The response's TSIG does not verify, or the server refused ours (RFC 8945).
    #[error("TSIG: {0}")]
    Tsig(#[from] ResponseTsigError),
}

/// What of a response does not match the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// Another message ID (RFC 1035 section 4.1.1).
    #[error("another message ID")]
    Id,
    /// QR clear: not a response.
    #[error("not a response")]
    NotResponse,
    /// Another opcode.
    #[error("another opcode")]
    Opcode,
    /// Another question, or not exactly one (RFC 1035 section 7.3).
    #[error("another question")]
    Question,
}

//------------ Checking a response ---------------------------------------------

/// What a response must match: the request, its ID, and the key and MAC it was signed with.
struct Expected<'a> {
    /// The message ID sent.
    id: u16,
    /// The request.
    request: &'a Request,
    /// The key and the request's MAC, when signed.
    tsig: Option<(&'a TsigKey, &'a [u8])>,
}

/// A message that answers the request.
enum Checked {
    /// Complete and verified.
    Complete(Message),
    /// TC set (over UDP: ask again over TCP).
    Truncated,
}

impl Expected<'_> {
    /// Checks `wire` received over `transport` against the request.
    fn check(&self, wire: &[u8], transport: Transport) -> Result<Checked, ClientError> {
        // The ID first, from the raw octets: a runt that is not ours is a mismatch.
        if wire.len() < 2 || wire[..2] != self.id.to_be_bytes() {
            return Err(ClientError::Mismatch(Mismatch::Id));
        }
        let mut decoder = BinDecoder::new(wire);
        let header = Header::read(&mut decoder).map_err(ClientError::Malformed)?;
        let sent = &self.request.message.metadata;
        if header.metadata.message_type != MessageType::Response {
            return Err(ClientError::Mismatch(Mismatch::NotResponse));
        }
        if header.metadata.op_code != sent.op_code {
            return Err(ClientError::Mismatch(Mismatch::Opcode));
        }
        let question = match header.counts.queries {
            1 => Some(Query::read(&mut decoder).map_err(ClientError::Malformed)?),
            _ => None,
        };
        let same = |q: &Query, r: &Query| {
            q.name() == r.name()
                && q.query_type() == r.query_type()
                && q.query_class() == r.query_class()
        };
        match (question, self.request.question()) {
            (Some(got), Some(asked)) if same(&got, asked) => {}
            _ => return Err(ClientError::Mismatch(Mismatch::Question)),
        }
        if header.metadata.truncation {
            return match transport {
                Transport::Udp => Ok(Checked::Truncated),
                Transport::Tcp => Err(ClientError::Truncated),
            };
        }
        if let Some((key, request_mac)) = self.tsig {
            crate::net::tsig::verify_response(
                wire,
                key,
                request_mac,
                crate::answer::signed::unix_now(),
            )?;
        }
        let message = Message::from_vec(wire).map_err(ClientError::Malformed)?;
        Ok(Checked::Complete(message))
    }
}

/// A message ID an off-path attacker cannot guess (RFC 5452 section 4.3).
fn random_id() -> u16 {
    let mut b = [0u8; 2];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).is_err() {
        // No system randomness: the clock's nanoseconds still differ between requests.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        return nanos as u16;
    }
    u16::from_be_bytes(b)
}

#[cfg(test)]
mod tests;
