//! The SMTP client's reply parsing (RFC 5321 section 4.2): what a server under anyone's
//! control sends before the TLS handshake, read as the probe and the doctor read it.

use crate::dane::smtp::client::fuzzing::transcript;

/// Reads `data` as greeting, EHLO reply and STARTTLS reply.
pub fn run(data: &[u8]) {
    let (replies, _) = transcript(data);
    assert!(replies.len() <= 3);
    let mut lines = 0;
    for (code, text) in &replies {
        assert!((200..600).contains(code), "reply code {code} accepted");
        assert!(
            !text.is_empty() && text.len() <= 100,
            "{} lines",
            text.len()
        );
        lines += text.len();
        for line in text {
            assert!(line.len() <= 4096, "a line of {} octets", line.len());
            assert!(!line.contains('\n'), "a line holding a line feed: {line:?}");
        }
    }
    assert!(lines <= 300);
}

/// Transcripts of real servers (Postfix, Exim), a multi-line banner, refusals, bare LF line
/// ends and a STARTTLS reply followed by injected plaintext.
pub fn seeds() -> Vec<Vec<u8>> {
    [
        "220 mx.example.com ESMTP Postfix\r\n250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n220 2.0.0 Ready to start TLS\r\n",
        "220-mx.example.com ESMTP Exim 4.96\r\n220-We do not authorize the use of this system\r\n220 to transport unsolicited mail\r\n250-mx.example.com Hello daned-doctor.invalid\r\n250-SIZE 52428800\r\n250-STARTTLS\r\n250 HELP\r\n220 TLS go ahead\r\n",
        "220 mx ESMTP\n250-mx\n250 STARTTLS\n220 go\n",
        "220 mx ESMTP\r\n250 mx\r\n",
        "554 5.7.1 no service\r\n",
        "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n",
        "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250 injected\r\n",
        "220 mx\r\n250-mx\r\n251 STARTTLS\r\n",
        "220\r\n250\r\n220\r\n",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}
