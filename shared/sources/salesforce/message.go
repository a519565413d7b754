package salesforce

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Message describes an Outbound Message for BuildOutboundMessage.
type Message struct {
	// OrganizationID is written as given (Salesforce sends 18 characters).
	OrganizationID string
	// ActionID is the workflow action's id; empty gives a fixed test id.
	ActionID string
	// SessionID is empty unless "Send Session ID" is on (xsi:nil then).
	SessionID string
	// EnterpriseURL and PartnerURL default to example callback URLs.
	EnterpriseURL, PartnerURL string

	// Notifications are written in order; Salesforce sends 1 to 100.
	Notifications []Notification
}

// Notification is one <Notification> of a Message.
type Notification struct {
	// ID is the notification id (prefix 04l), the deduplication key.
	ID string
	// Object is the sObject type, e.g. "Opportunity" (written as
	// xsi:type="sf:Opportunity").
	Object string
	// RecordID is written first, as the sObject's Id field.
	RecordID string
	// Fields are written after Id in name order: nil as xsi:nil="true",
	// time.Time as an xsd:dateTime in UTC with milliseconds, strings as
	// is, other values with strconv or fmt. An "Id" entry is ignored.
	Fields map[string]any
}

// BuildOutboundMessage returns the SOAP body Salesforce would POST for m,
// in the layout of Salesforce's notifications() call. For tests,
// testevents and the goalctl CLI.
func BuildOutboundMessage(m Message) []byte {
	action := m.ActionID
	if action == "" {
		action = "04k5e000000XyZ1AAK"
	}
	org15 := m.OrganizationID
	if len(org15) > 15 {
		org15 = org15[:15]
	}
	ent, partner := m.EnterpriseURL, m.PartnerURL
	if ent == "" {
		ent = "https://example.my.salesforce.com/services/Soap/c/61.0/" + org15
	}
	if partner == "" {
		partner = "https://example.my.salesforce.com/services/Soap/u/61.0/" + org15
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="` + nsOutbound + `">
`)
	elem(&b, "   ", "OrganizationId", m.OrganizationID)
	elem(&b, "   ", "ActionId", action)
	if m.SessionID == "" {
		b.WriteString("   <SessionId xsi:nil=\"true\"/>\n")
	} else {
		elem(&b, "   ", "SessionId", m.SessionID)
	}
	elem(&b, "   ", "EnterpriseUrl", ent)
	elem(&b, "   ", "PartnerUrl", partner)
	for _, n := range m.Notifications {
		b.WriteString("   <Notification>\n")
		elem(&b, "    ", "Id", n.ID)
		fmt.Fprintf(&b, "    <sObject xsi:type=\"sf:%s\" xmlns:sf=\"%s\">\n", n.Object, nsSObject)
		if n.RecordID != "" {
			elem(&b, "     ", "sf:Id", n.RecordID)
		}
		names := make([]string, 0, len(n.Fields))
		for k := range n.Fields {
			if k != "Id" {
				names = append(names, k)
			}
		}
		slices.Sort(names)
		for _, k := range names {
			v := n.Fields[k]
			if v == nil {
				fmt.Fprintf(&b, "     <sf:%s xsi:nil=\"true\"/>\n", k)
				continue
			}
			elem(&b, "     ", "sf:"+k, formatValue(v))
		}
		b.WriteString("    </sObject>\n   </Notification>\n")
	}
	b.WriteString("  </notifications>\n </soapenv:Body>\n</soapenv:Envelope>\n")
	return b.Bytes()
}

func elem(b *bytes.Buffer, indent, name, text string) {
	b.WriteString(indent + "<" + name + ">")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">\n")
}

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case time.Time:
		return v.UTC().Format("2006-01-02T15:04:05.000Z")
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
