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
mod tests {
    use std::net::Ipv4Addr;
    use std::sync::Arc;

    use hickory_proto::op::ResponseCode;
    use hickory_proto::rr::{RData, Record, rdata::A};

    use super::*;
    use crate::net::test_responder::{
        TcpHandler, UdpHandler, answer, answering_tcp, framed, serve, silent_udp,
    };
    use crate::net::tsig::{self, TsigAlgorithm, Verified};

    fn name() -> Name {
        Name::from_ascii("example.test.").unwrap()
    }

    fn request() -> Request {
        Request::query(&name(), RecordType::A)
    }

    fn key(secret: &[u8]) -> TsigKey {
        TsigKey::new("sec1", TsigAlgorithm::HmacSha256, secret).unwrap()
    }

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    /// The answer to `query`, signed the way daned's server signs: the request verified with
    /// [`tsig::verify_request`], the response with [`ResponseSigner::new`] and its MAC.
    fn signed_answer(query: &[u8], keys: &[TsigKey]) -> Vec<u8> {
        let now = crate::answer::signed::unix_now();
        let Verified::Signed { key, mac } = tsig::verify_request(query, keys, now) else {
            panic!("daned's verifier rejects the client's request");
        };
        let id = u16::from_be_bytes([query[0], query[1]]);
        let mut reply = answer(query, |_| {});
        ResponseSigner::new(key, mac, id, now).sign(&mut reply);
        reply
    }

    //--- Requests

    #[test]
    fn the_notify_request_is_a_notify_for_the_zone_soa_with_aa() {
        let wire = Request::notify(&name()).to_wire(7).unwrap();
        let m = Message::from_vec(&wire).unwrap();
        assert_eq!(m.metadata.id, 7);
        assert_eq!(m.metadata.op_code, OpCode::Notify);
        assert!(m.metadata.authoritative);
        assert_eq!(m.queries[0].name(), &name());
        assert_eq!(m.queries[0].query_type(), RecordType::SOA);
        assert!(m.edns.is_none());
    }

    #[test]
    fn dnssec_ok_adds_an_opt_with_do_and_the_payload() {
        let wire = request().with_dnssec_ok(1232).to_wire(1).unwrap();
        let m = Message::from_vec(&wire).unwrap();
        let edns = m.edns.unwrap();
        assert!(edns.flags().dnssec_ok);
        assert_eq!(edns.max_payload(), 1232);
        assert!(!m.metadata.recursion_desired && !m.metadata.checking_disabled);
    }

    //--- UDP, TCP and the matching of responses

    #[tokio::test]
    async fn a_udp_answer_is_returned_with_its_records() {
        let server = serve(Arc::new(|q| vec![answer(q, |_| {})]), answering_tcp(), None).await;
        let r = Client::new(server, Duration::from_secs(2))
            .ask(&request())
            .await
            .unwrap();
        assert_eq!(r.transport, Transport::Udp);
        assert_eq!(r.message.metadata.response_code, ResponseCode::NoError);
        assert_eq!(r.message.answers.len(), 1);
    }

    #[tokio::test]
    async fn a_negative_answer_is_a_response_not_an_error() {
        let server = serve(
            Arc::new(|q| {
                vec![answer(q, |r| {
                    r.answers.clear();
                    r.metadata.response_code = ResponseCode::NXDomain;
                })]
            }),
            answering_tcp(),
            None,
        )
        .await;
        let r = Client::new(server, Duration::from_secs(2))
            .ask(&request())
            .await
            .unwrap();
        assert_eq!(r.message.metadata.response_code, ResponseCode::NXDomain);
    }

    #[tokio::test]
    async fn a_truncated_udp_answer_is_asked_again_over_tcp() {
        let server = serve(
            Arc::new(|q| {
                vec![answer(q, |r| {
                    r.answers.clear();
                    r.metadata.truncation = true;
                })]
            }),
            answering_tcp(),
            None,
        )
        .await;
        let r = Client::new(server, Duration::from_secs(2))
            .ask(&request())
            .await
            .unwrap();
        assert_eq!(r.transport, Transport::Tcp);
        assert_eq!(r.message.answers.len(), 1);
        assert!(!r.message.metadata.truncation);
    }

    #[tokio::test]
    async fn datagrams_that_do_not_answer_the_request_are_ignored_until_one_does() {
        let server = serve(
            Arc::new(|q| {
                let mut other_id = answer(q, |_| {});
                other_id[1] ^= 1;
                let other_question = answer(q, |r| {
                    r.queries[0].set_query_type(RecordType::AAAA);
                });
                let not_a_response = answer(q, |r| r.metadata.message_type = MessageType::Query);
                let other_opcode = answer(q, |r| r.metadata.op_code = OpCode::Notify);
                let runt = q[..2].to_vec();
                let good = answer(q, |_| {});
                vec![
                    other_id,
                    other_question,
                    not_a_response,
                    other_opcode,
                    runt,
                    good,
                ]
            }),
            answering_tcp(),
            None,
        )
        .await;
        let r = Client::new(server, Duration::from_secs(2))
            .ask(&request())
            .await
            .unwrap();
        assert_eq!(r.transport, Transport::Udp);
        assert_eq!(r.message.answers.len(), 1);
    }

    #[tokio::test]
    async fn a_malformed_datagram_with_our_id_is_what_the_deadline_reports() {
        let server = serve(
            Arc::new(|q| vec![q[..2].to_vec(), answer(q, |_| {})[..20].to_vec()]),
            answering_tcp(),
            None,
        )
        .await;
        let r = Client::new(server, Duration::from_millis(300))
            .ask(&request())
            .await;
        assert!(matches!(r, Err(ClientError::Malformed(_))), "{r:?}");
    }

    #[tokio::test]
    async fn over_tcp_a_response_with_another_id_or_question_is_an_error() {
        let truncated: UdpHandler = Arc::new(|q| {
            vec![answer(q, |r| {
                r.answers.clear();
                r.metadata.truncation = true;
            })]
        });
        let other_id: TcpHandler = Arc::new(|q| {
            let mut a = answer(q, |_| {});
            a[1] ^= 1;
            framed(&a)
        });
        let server = serve(truncated.clone(), other_id, None).await;
        let r = Client::new(server, Duration::from_secs(2))
            .ask(&request())
            .await;
        assert!(
            matches!(r, Err(ClientError::Mismatch(Mismatch::Id))),
            "{r:?}"
        );

        let other_question: TcpHandler = Arc::new(|q| {
            framed(&answer(q, |r| {
                r.queries[0].set_name(Name::from_ascii("other.test.").unwrap());
            }))
        });
        let server = serve(truncated, other_question, None).await;
        let r = Client::new(server, Duration::from_secs(2))
            .ask(&request())
            .await;
        assert!(
            matches!(r, Err(ClientError::Mismatch(Mismatch::Question))),
            "{r:?}"
        );
    }

    //--- The timeout and the size cap

    #[tokio::test]
    async fn a_silent_server_is_a_timeout_after_the_timeout() {
        let server = serve(silent_udp(), answering_tcp(), None).await;
        let start = std::time::Instant::now();
        let r = Client::new(server, Duration::from_millis(300))
            .ask(&request())
            .await;
        let took = start.elapsed();
        assert!(matches!(r, Err(ClientError::Timeout(_))), "{r:?}");
        assert!(
            took >= Duration::from_millis(290) && took < Duration::from_millis(800),
            "{took:?}"
        );
    }

    #[tokio::test]
    async fn the_timeout_bounds_the_whole_query_not_each_read() {
        // UDP says TC; over TCP every octet comes 200 ms after the previous one, well within a
        // per-read timeout of 1 s, so only a bound on the whole query stops it.
        let truncated: UdpHandler = Arc::new(|q| {
            vec![answer(q, |r| {
                r.answers.clear();
                r.metadata.truncation = true;
            })]
        });
        let server = serve(truncated, answering_tcp(), Some(Duration::from_millis(200))).await;
        let start = std::time::Instant::now();
        let r = Client::new(server, Duration::from_secs(1))
            .ask(&request())
            .await;
        let took = start.elapsed();
        assert!(matches!(r, Err(ClientError::Timeout(_))), "{r:?}");
        assert!(
            took >= Duration::from_millis(990) && took < Duration::from_millis(1300),
            "the query took {took:?}"
        );
    }

    #[tokio::test]
    async fn a_response_larger_than_the_cap_is_refused_on_udp_and_tcp() {
        let big = |q: &[u8]| {
            answer(q, |r| {
                for i in 0..100 {
                    r.add_answer(Record::from_rdata(
                        name(),
                        300,
                        RData::A(A(Ipv4Addr::new(192, 0, 2, i))),
                    ));
                }
            })
        };
        let server = serve(Arc::new(move |q| vec![big(q)]), answering_tcp(), None).await;
        let client = Client::new(server, Duration::from_secs(2)).with_max_response(512);
        let r = client.ask(&request()).await;
        assert!(
            matches!(r, Err(ClientError::TooLarge { limit: 512 })),
            "{r:?}"
        );

        let truncated: UdpHandler = Arc::new(|q| {
            vec![answer(q, |r| {
                r.answers.clear();
                r.metadata.truncation = true;
            })]
        });
        let server = serve(truncated, Arc::new(move |q| framed(&big(q))), None).await;
        let client = Client::new(server, Duration::from_secs(2)).with_max_response(512);
        let r = client.ask(&request()).await;
        assert!(
            matches!(r, Err(ClientError::TooLarge { limit: 512 })),
            "{r:?}"
        );
    }

    //--- TSIG

    #[tokio::test]
    async fn a_tsig_round_trip_with_daneds_own_verifier_and_signer() {
        let keys = [key(SECRET)];
        let udp_keys = keys.clone();
        let tcp_keys = keys.clone();
        let server = serve(
            Arc::new(move |q| vec![signed_answer(q, &udp_keys)]),
            Arc::new(move |q| framed(&signed_answer(q, &tcp_keys))),
            None,
        )
        .await;
        let client = Client::new(server, Duration::from_secs(2)).with_tsig(key(SECRET));
        let r = client.ask(&request()).await.unwrap();
        assert_eq!(r.transport, Transport::Udp);
        assert_eq!(r.message.answers.len(), 1);
        assert!(r.message.signature().is_some());
        let r = client.ask(&Request::notify(&name())).await.unwrap();
        assert_eq!(r.message.metadata.op_code, OpCode::Notify);
    }

    #[tokio::test]
    async fn a_response_that_is_unsigned_or_signed_with_another_secret_is_not_accepted() {
        let other = [key(b"another secret, same key name")];
        let tcp_other = other.clone();
        // On UDP the bad responses are ignored (they may be forged) and reported at the deadline.
        let server = serve(
            Arc::new(move |q| {
                let mut forged = answer(q, |_| {});
                let id = u16::from_be_bytes([q[0], q[1]]);
                ResponseSigner::new(&other[0], vec![1; 32], id, 1).sign(&mut forged);
                vec![answer(q, |_| {}), forged]
            }),
            Arc::new(move |q| {
                let id = u16::from_be_bytes([q[0], q[1]]);
                let mut forged = answer(q, |_| {});
                ResponseSigner::new(&tcp_other[0], vec![1; 32], id, 1).sign(&mut forged);
                framed(&forged)
            }),
            None,
        )
        .await;
        let client = Client::new(server, Duration::from_millis(300)).with_tsig(key(SECRET));
        let r = client.ask(&request()).await;
        assert!(
            matches!(r, Err(ClientError::Tsig(ResponseTsigError::BadSig))),
            "{r:?}"
        );

        let truncated: UdpHandler = Arc::new(|q| {
            vec![answer(q, |r| {
                r.answers.clear();
                r.metadata.truncation = true;
            })]
        });
        let server = serve(truncated, answering_tcp(), None).await;
        let client = Client::new(server, Duration::from_secs(2)).with_tsig(key(SECRET));
        let r = client.ask(&request()).await;
        assert!(
            matches!(r, Err(ClientError::Tsig(ResponseTsigError::Unsigned))),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn a_badkey_answer_from_the_server_says_the_key_was_rejected() {
        let badkey = |q: &[u8]| {
            let record = tsig::find_tsig(q).unwrap().unwrap();
            let mut reply = answer(q, |r| {
                r.answers.clear();
                r.metadata.response_code = ResponseCode::NotAuth;
            });
            tsig::append_unsigned_error(&mut reply, &record, tsig::TsigError::BadKey);
            reply
        };
        let server = serve(
            Arc::new(move |q| vec![badkey(q)]),
            Arc::new(move |q| framed(&badkey(q))),
            None,
        )
        .await;
        let client = Client::new(server, Duration::from_millis(300)).with_tsig(key(SECRET));
        let r = client.ask(&request()).await;
        assert!(
            matches!(r, Err(ClientError::Tsig(ResponseTsigError::Rejected(17)))),
            "{r:?}"
        );
    }
}
