/**
 * The corpus the detectors are measured on (detectors.test.ts): sentences with exactly one identifier
 * (`value`, of `type`), and near misses that hold none: numbers that look like cards, IBANs or phones but
 * fail a checksum or a shape, dates, versions, amounts, ids, addresses that are not e-mail.
 * Card numbers are the networks' published test numbers; IBANs are the registry's examples or
 * computed ones; phone numbers are from the ranges reserved for fiction (555-01xx, Ofcom's drama ranges).
 */
import type { PiiType } from "./detectors.js";

export interface Positive {
  text: string;
  type: PiiType;
  value: string;
}

export const positives: Positive[] = [
  // e-mail
  { type: "email", value: "jane.doe@example.com", text: "Please write to jane.doe@example.com about it." },
  { type: "email", value: "J.Smith+billing@mail.example.co.uk", text: "cc J.Smith+billing@mail.example.co.uk" },
  { type: "email", value: "o'brien@example.ie", text: "Contact: o'brien@example.ie" },
  { type: "email", value: "user_42@sub-domain.example.org", text: "<user_42@sub-domain.example.org>" },
  { type: "email", value: "x@y.io", text: "x@y.io is mine" },
  { type: "email", value: "first.last@example.travel", text: "reach me (first.last@example.travel)." },
  { type: "email", value: "support@example.com", text: "Email support@example.com, thanks!" },
  { type: "email", value: "info@müller.de", text: "Schreib an info@müller.de bitte" },
  // phone
  { type: "phone", value: "+1 415 555 0134", text: "Call me on +1 415 555 0134 tomorrow." },
  { type: "phone", value: "+44 20 7946 0958", text: "London office: +44 20 7946 0958" },
  { type: "phone", value: "+49 (0)30 1234567", text: "Tel. +49 (0)30 1234567" },
  { type: "phone", value: "+33612345678", text: "mobile +33612345678" },
  { type: "phone", value: "(415) 555-0134", text: "my number is (415) 555-0134." },
  { type: "phone", value: "415-555-0134", text: "text 415-555-0134 when you arrive" },
  { type: "phone", value: "415.555.0134", text: "phone: 415.555.0134" },
  { type: "phone", value: "1-800-555-0199", text: "Call 1-800-555-0199 now" },
  { type: "phone", value: "020 7946 0958", text: "ring 020 7946 0958 after six" },
  { type: "phone", value: "07700 900123", text: "Mobile: 07700 900123" },
  { type: "phone", value: "030 12345678", text: "Festnetz 030 12345678" },
  { type: "phone", value: "06 12 34 56 78", text: "Appelez le 06 12 34 56 78 svp" },
  { type: "phone", value: "07700900123", text: "whatsapp 07700900123" },
  { type: "phone", value: "0049 30 1234567", text: "aus dem Ausland 0049 30 1234567" },
  { type: "phone", value: "+61 2 9876 5432", text: "Sydney: +61 2 9876 5432." },
  { type: "phone", value: "+81-3-1234-5678", text: "Tokyo +81-3-1234-5678" },
  { type: "phone", value: "0171/1234567", text: "Handy 0171/1234567" },
  { type: "phone", value: "555 123 4567", text: "call 555 123 4567" },
  { type: "phone", value: "4155550134", text: "call 4155550134" },
  // card
  { type: "card", value: "4111 1111 1111 1111", text: "Card: 4111 1111 1111 1111, exp 12/29" },
  { type: "card", value: "4111111111111111", text: "charge 4111111111111111 please" },
  { type: "card", value: "5555-5555-5555-4444", text: "my mastercard is 5555-5555-5555-4444" },
  { type: "card", value: "378282246310005", text: "amex 378282246310005" },
  { type: "card", value: "3782 822463 10005", text: "Amex 3782 822463 10005." },
  { type: "card", value: "6011111111111117", text: "Discover card 6011111111111117" },
  { type: "card", value: "2223003122003222", text: "new MC range 2223003122003222" },
  { type: "card", value: "4012888888881881", text: "Visa 4012888888881881 expired" },
  { type: "card", value: "3530 1113 3330 0000", text: "JCB 3530 1113 3330 0000" },
  { type: "card", value: "6200000000000005", text: "UnionPay 6200000000000005" },
  // iban
  { type: "iban", value: "DE89 3704 0044 0532 0130 00", text: "IBAN DE89 3704 0044 0532 0130 00 (Commerzbank)" },
  { type: "iban", value: "DE89370400440532013000", text: "pay to DE89370400440532013000." },
  { type: "iban", value: "GB29 NWBK 6016 1331 9268 19", text: "UK account GB29 NWBK 6016 1331 9268 19" },
  { type: "iban", value: "FR1420041010050500013M02606", text: "FR1420041010050500013M02606 is the account" },
  { type: "iban", value: "NL91ABNA0417164300", text: "Rekening NL91ABNA0417164300" },
  { type: "iban", value: "ES9121000418450200051332", text: "cuenta ES9121000418450200051332," },
  { type: "iban", value: "CH9300762011623852957", text: "Konto: CH9300762011623852957" },
  { type: "iban", value: "be68 5390 0754 7034", text: "rekening be68 5390 0754 7034" },
  { type: "iban", value: "NO9386011117947", text: "Norway NO9386011117947" },
  { type: "iban", value: "IT60 X054 2811 1010 0000 0123 456", text: "Italia IT60 X054 2811 1010 0000 0123 456" },
  // ssn
  { type: "ssn", value: "123-45-6789", text: "SSN 123-45-6789 on file" },
  { type: "ssn", value: "536-22-1234", text: "social: 536-22-1234." },
];

export const negatives: string[] = [
  // not e-mail
  "Follow @modelgate on social media",
  "ssh git@localhost to deploy",
  "the decorator @Injectable() marks it",
  "price 5@3.99 each",
  "see user@host for details",
  "the email field is required: name at example dot com",
  // not cards: Luhn fails, wrong network digit, or odd grouping
  "order number 4111 1111 1111 1112",
  "tracking 1234567890123456",
  "serial 9999 8888 7777 6666",
  "account 0000000000000000",
  "ref 12345678901234",
  "IMEI 490154203237518 is a phone's, not a card",
  "the values were 4111 111 11 11111 1",
  "timestamp 1715692800000 in ms",
  "product id 5105105105105106",
  // not IBANs: checksum or length wrong, or a word
  "DE89 3704 0044 0532 0130 01 has a typo",
  "GB29NWBK6016133192681",
  "code XX12 3456 7890 1234 5678",
  "model AB12CDEF3456 is out",
  "the ISO code DE and 89 percent",
  "flight LH1234 to FR27 gate",
  // not SSNs
  "part 000-12-3456",
  "invoice 666-12-3456",
  "date 2024-05-14",
  "range 900-10-2000",
  // not phones
  "released on 2024-05-14 at 10:30",
  "version 1.2.3.4567 is out",
  "it costs $1,234,567.89 in total",
  "the year 2023 had 365 days",
  "order #12345678 shipped",
  "IP address 192.168.100.200 is internal",
  "ISBN 978-3-16-148410-0",
  "between 10-20 items per 30-40 minutes",
  "scores 100 200 300 400",
  "coordinates 48.8584, 2.2945",
  "the dates 01/02/2024 and 03/04/2025",
  "pi is 3.14159265358979",
  "ticket 0001234567",
  "room 0.5 / 0.25 ratios",
  "PO 2024-001234",
  "build 20240514.1234",
  "page 123-456",
  "uuid 550e8400-e29b-41d4-a716-446655440000",
  "sha 3f786850e387550fdab836ed7e6dc881de23001b",
  "sum 1234567890",
  "latency 1500 ms, p99 2300 ms, 4400 ms max",
  "zip 94103-1234",
  "time 12:30:45.123",
];

/**
 * Written after the detectors were tuned on the lists above and never tuned against: their rates are
 * the honest estimate (docs/callers.md).
 */
export const heldOutPositives: Positive[] = [
  { type: "email", value: "maria.garcia@empresa.example.es", text: "Mi correo: maria.garcia@empresa.example.es!" },
  { type: "email", value: "BOB@EXAMPLE.NET", text: "SEND TO BOB@EXAMPLE.NET NOW" },
  { type: "email", value: "a.b-c@d-e.example", text: "\"a.b-c@d-e.example\"" },
  { type: "phone", value: "+353 1 234 5678", text: "Dublin +353 1 234 5678" },
  { type: "phone", value: "+1 (212) 555-0187", text: "NYC desk +1 (212) 555-0187" },
  { type: "phone", value: "(02) 9876 5432", text: "call (02) 9876 5432 in Sydney" },
  { type: "phone", value: "089 123456", text: "München 089 123456" },
  { type: "phone", value: "+7 495 123-45-67", text: "Moscow +7 495 123-45-67" },
  { type: "phone", value: "212-555-0187", text: "Phone:212-555-0187" },
  { type: "card", value: "4000 0566 5566 5556", text: "debit 4000 0566 5566 5556" },
  { type: "card", value: "5200828282828210", text: "card=5200828282828210;" },
  { type: "card", value: "3714 496353 98431", text: "amex 3714 496353 98431" },
  { type: "iban", value: "AT61 1904 3002 3457 3201", text: "Überweisung an AT61 1904 3002 3457 3201 bitte" },
  { type: "iban", value: "PL61109010140000071219812874", text: "PL61109010140000071219812874" },
  { type: "iban", value: "SE45 5000 0000 0583 9825 7466", text: "konto SE45 5000 0000 0583 9825 7466." },
  { type: "ssn", value: "078-05-1120", text: "the famous 078-05-1120 card" },
];

export const heldOutNegatives: string[] = [
  "Meeting at 14:00-15:30 on 2025-11-03",
  "the file foo@2x.png is the retina asset",
  "order 4000056655665557 was cancelled",
  "SKU 5200-8282-8282-8211",
  "IBAN-like AT61 1904 3002 3457 3202",
  "call extension 4412",
  "Revenue grew from 1,200,000 to 1,450,000",
  "matrix 3x3 with 0 1 2 3 4 5 6 7 8",
  "commit 1a2b3c4d5e6f",
  "port 8080 and 443, pid 123456",
  "git tag v2.14.0-rc.1",
  "latitude 40.7128, longitude -74.0060",
  "temperature -12.5 to 30.25 degrees",
  "an npm scope @types/node",
  "chapter 3.2.1, page 045",
  "2025-12-31T23:59:59Z",
];
