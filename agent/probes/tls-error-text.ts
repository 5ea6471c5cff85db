/**
 * OpenSSL's error text as a sentence. Node hands OpenSSL's errors over as printed, e.g.
 * `808CC9294A7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:354:`:
 * the first field is the thread's id in hex, different in every process, so a result detail,
 * a log line or a filed report carrying it would differ between agents and restarts for the same
 * fault, and the rest speaks of OpenSSL's source files to a crisis team. Every probe's error
 * text goes through here (errorMessage in connect.ts); the reason is kept, in words.
 */

/** What a TLS client's usual failures mean, by OpenSSL's reason string. */
const SENTENCES: Readonly<Record<string, string>> = {
  'wrong version number': 'the server answered without TLS (plain HTTP, or another protocol, on this port)',
  'packet length too long': 'the server sent a malformed TLS record',
  'record layer failure': 'the server sent a malformed TLS record',
  'unexpected eof while reading': 'the server closed the connection in the middle of TLS, without a closing alert',
  'sslv3 alert handshake failure':
    'the server refused the TLS handshake (alert "handshake failure": no protocol version or cipher suite in common, or it wants a client certificate)',
  'tlsv1 alert protocol version': 'the server refused the TLS versions offered (alert "protocol version")',
  'unsupported protocol': 'the server offered only a TLS version this agent does not accept',
  'no protocols available': 'no TLS version both sides accept',
  'no shared cipher': 'no cipher suite in common with the server',
  'no cipher match': 'no cipher suite in common with the server',
  'tlsv1 alert internal error': 'the server failed the TLS handshake on its side (alert "internal error", often a name it has no certificate for)',
  'tlsv1 unrecognized name': 'the server has no certificate for the name sent in SNI (alert "unrecognized name")',
  'tlsv13 alert certificate required': 'the server requires a client certificate',
  'dh key too small': "the server's Diffie-Hellman key is too small to be safe",
  'ee key too small': "the server's key is too small to be safe",
  'ca md too weak': "a certificate in the server's chain is signed with a digest too weak to trust",
  'unsafe legacy renegotiation disabled': 'the server does not support secure renegotiation (RFC 5746)',
};

/**
 * One OpenSSL error as printed by Node (`<thread>:error:<code>:<library>:<function>:<reason>:<file>:<line>:<data>`) or by
 * ERR_error_string (`error:<code>:<library>:<function>:<reason>`): the reason is group 1.
 */
const OPENSSL_LINE = /(?:\b[0-9A-Fa-f]{6,16}:)?error:[0-9A-Fa-f]{8}:[^:\n]*:[^:\n]*:([^:\n]+)(?::[^\n]*)?/g;

/** A sentence for an OpenSSL reason string (`wrong version number`), the reason itself for one not known. */
export function opensslSentence(reason: string): string {
  const key = reason.trim().toLowerCase();
  const known = SENTENCES[key];
  if (known) return known;
  const alert = /^(?:sslv3|tlsv1|tlsv13) alert (.+)$/.exec(key);
  return alert ? `the server ended the TLS handshake with alert "${alert[1]}"` : key;
}

/**
 * `message` with every OpenSSL error in it replaced by its sentence (repeats once), the rest as
 * it was: `806…:error:0A00010B:SSL routines:…:wrong version number:…` becomes
 * `the server answered without TLS (plain HTTP, or another protocol, on this port)`.
 */
export function withoutOpensslText(message: string): string {
  if (!message.includes('error:')) return message;
  const said = new Set<string>();
  return message
    .replace(OPENSSL_LINE, (_, reason: string) => {
      const sentence = opensslSentence(reason);
      if (said.has(sentence)) return '';
      said.add(sentence);
      return sentence;
    })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}
