/** GetCallerIdentity: who the signature says the caller is; it takes no members. */
import type { Caller } from "./caller.js";
import type { XmlFields } from "./sts-xml.js";

export function getCallerIdentity(caller: Caller): XmlFields {
  return [
    ["Arn", caller.arn],
    ["UserId", caller.userId],
    ["Account", caller.account],
  ];
}
