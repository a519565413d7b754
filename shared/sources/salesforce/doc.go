// Package salesforce is goalrelay's source adapter for Salesforce Outbound
// Messages: SOAP 1.1 notifications() calls carrying 1–100 <Notification>
// elements, each with the selected fields of one record.
//
// Outbound Messages carry no signature. The only application-level check
// Salesforce offers is the OrganizationId in the message, which Verify
// compares, in constant time and in its 18-character form, with the one
// configured in the webhook secret. Deployments should add what the
// transport offers (Salesforce's IP ranges, mutual TLS with the Salesforce
// client certificate, a long random path or query secret); see the README.
//
// [Adapter.Open] verifies a message and, only when it comes from the
// configured organization, gives one [webhook.Change] per notification
// (decoding the body once); the notification Id is the deduplication key.
// [Source] describes the source; its Respond answers with the SOAP notificationsResponse Ack that Salesforce requires
// on success, and with a SOAP Fault otherwise, so that Salesforce retries.
//
// BuildOutboundMessage writes an Outbound Message body for tests,
// testevents and the goalctl CLI; NormalizeID turns a 15-character id into
// its 18-character form.
//
// This package imports shared/webhook and the standard library only; it
// never imports another CRM adapter, AWS or Gainsight packages.
package salesforce
