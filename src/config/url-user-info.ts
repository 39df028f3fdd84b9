/**
 * A URL's user:password@ part. The AWS SDK drops it (it signs with SigV4 and sends no Basic
 * credentials), so SSO_OIDC_ENDPOINT and STS_ENDPOINT refuse it; and a refusal must not show it.
 */
const USER_INFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/;

/** `value` with any user:password@ shown as ***@ (also when `value` does not parse as a URL). */
export function maskUserInfo(value: string): string {
  return value.replace(USER_INFO, "$1***@");
}
