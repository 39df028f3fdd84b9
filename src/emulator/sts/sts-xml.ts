/**
 * STS's XML answers, shaped as the service sends them: `<{Action}Response xmlns=…><{Action}Result>…`
 * then `<ResponseMetadata><RequestId>`, and `<ErrorResponse>` for errors. Members are written in the
 * order AWS writes them; every text is escaped.
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { StsError } from "./sts-errors.js";

export const STS_XML_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

/** An element tree: a text leaf, or ordered children. */
export type XmlValue = string | number | XmlFields;
export type XmlFields = [name: string, value: XmlValue][];

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

function render(fields: XmlFields, indent: string): string {
  return fields
    .map(([name, value]) =>
      typeof value === "object"
        ? `${indent}<${name}>\n${render(value, `${indent}  `)}${indent}</${name}>\n`
        : `${indent}<${name}>${escapeXml(String(value))}</${name}>\n`,
    )
    .join("");
}

function send(res: ServerResponse, status: number, requestId: string, xml: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "content-type": "text/xml",
    "content-length": Buffer.byteLength(xml),
    "x-amzn-requestid": requestId,
  });
  res.end(xml);
}

export function sendStsResult(res: ServerResponse, action: string, result: XmlFields): void {
  const requestId = randomUUID();
  const xml =
    `<${action}Response xmlns="${STS_XML_NAMESPACE}">\n` +
    `  <${action}Result>\n${render(result, "    ")}  </${action}Result>\n` +
    `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
    `</${action}Response>\n`;
  send(res, 200, requestId, xml);
}

export function sendStsError(res: ServerResponse, error: StsError): void {
  const requestId = randomUUID();
  const xml =
    `<ErrorResponse xmlns="${STS_XML_NAMESPACE}">\n` +
    `  <Error>\n${render([["Type", error.type], ["Code", error.code], ["Message", error.description]], "    ")}  </Error>\n` +
    `  <RequestId>${requestId}</RequestId>\n` +
    `</ErrorResponse>\n`;
  send(res, error.status, requestId, xml);
}
