// The error strings of the virtual TLS library, as OpenSSL 3.0 prints them with ERR_error_string_n
// ("error:0A0000C7:SSL routines::peer did not return a certificate"): Redis logs these verbatim,
// so they are part of what a timeline shows. Library code 20 (SSL) puts 0x0A in the top byte.

/** SSL reason codes (ssl/sslerr.h) and their texts. */
export const SSL_REASONS = {
  certificateVerifyFailed: [134, 'certificate verify failed'],
  httpsProxyRequest: [155, 'https proxy request'],
  httpRequest: [156, 'http request'],
  packetLengthTooLong: [198, 'packet length too long'],
  peerDidNotReturnACertificate: [199, 'peer did not return a certificate'],
  unexpectedMessage: [244, 'unexpected message'],
  wrongVersionNumber: [267, 'wrong version number'],
  unexpectedEofWhileReading: [294, 'unexpected eof while reading'],
  unsupportedProtocol: [258, 'unsupported protocol'],
} as const satisfies Record<string, readonly [number, string]>;

export type SslReason = keyof typeof SSL_REASONS;

/** ERR_error_string_n of an SSL-library error. */
export function sslError(reason: SslReason): string {
  const [code, text] = SSL_REASONS[reason];
  return `error:${(0x0a000000 | code).toString(16).toUpperCase().padStart(8, '0')}:SSL routines::${text}`;
}

/**
 * What ERR_error_string_n prints for an empty error queue: Redis logs it when SSL_read reports a
 * clean close_notify (SSL_ERROR_ZERO_RETURN takes the generic error branch in tls.c).
 */
export const ZERO_ERROR = 'error:00000000:lib(0)::reason(0)';

/** Names of received alerts as OpenSSL reports them (SSL_AD_REASON_OFFSET 1000 + description). */
const ALERT_TEXTS: Record<number, string> = {
  0: 'close notify',
  10: 'sslv3 alert unexpected message',
  42: 'sslv3 alert bad certificate',
  45: 'sslv3 alert certificate expired',
  48: 'tlsv1 alert unknown ca',
  50: 'tlsv1 alert decode error',
  70: 'tlsv1 alert protocol version',
  116: 'tlsv13 alert certificate required',
};

/** ERR_error_string_n for a fatal alert received from the peer. */
export function alertError(description: number): string {
  const code = 1000 + description;
  const text = ALERT_TEXTS[description] ?? `alert ${description}`;
  return `error:${(0x0a000000 | code).toString(16).toUpperCase().padStart(8, '0')}:SSL routines::${text}`;
}
