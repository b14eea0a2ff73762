//! Tests of `client`.

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
