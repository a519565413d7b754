// Package mapping turns a webhook.Change (a CRM record change, with the
// CRM's own field names) into canonical events.Event values, as a YAML
// configuration says: which CRM object becomes which Gainsight object
// (goal, goal template, metric), which field becomes which Gainsight field,
// value maps (CRM stage → Gainsight status name), formats, defaults,
// constants, associations and what a CRM delete does. Expressions are
// JMESPath (github.com/jmespath-community/go-jmespath), compiled once at
// load time.
//
// Default returns the shipped mapping (files in defaults/, embedded); Load
// reads the MAPPING_FILE that replaces it. Load and Parse report every
// problem of a file as a ConfigError with file, line, column and the
// problem; they never panic. Map is safe for concurrent use.
//
// # Format
//
// The full description is FORMAT.md beside this file. In short:
//
//	sources:
//	  hubspot:                          # first segment of the event source
//	    objects:
//	      deal:                         # Change.Object
//	        type: goal                  # goal | goaltemplate | metric
//	        externalId: recordId        # JMESPath; default recordId
//	        fullRecord: fields.hs_object_id != null   # true | false | JMESPath
//	        fields:                     # Gainsight API name → rule
//	          Name: {expr: fields.dealname, required: true}
//	          StatusName:
//	            expr: fields.dealstage
//	            map: {closedwon: Achieved, closedlost: Not Achieved}
//	            mapDefault: On Track    # or unmapped: error | keep | omit
//	          DueDate: {expr: fields.closedate, format: date}
//	          GoalTypeName: {expr: fields.goal_type, default: Adoption}
//	          CompanyName: fields.company_name     # resolved by lookup
//	          crm_stage__gc: fields.dealstage      # custom field
//	        constants:
//	          EntityType: COMPANY
//	        associate: {CTA: fields.cta_ids, SP: fields.sp_ids}
//	        onDelete: {fields: {StatusName: Not Achieved}}   # or ignore | emit
//
// A file may instead hold one source as "source: hubspot" with "objects:"
// at the top level (as the shipped defaults do).
//
// Targets may not be relay-owned fields (events.IsOwnedField: Gsid, the
// default external-id field goalrelay_external_id__gc and Gainsight's
// system fields CreatedDate, ModifiedDate, CreatedById, ModifiedById, in
// any letter case), in fields, constants or onDelete, whatever the type;
// Load and Parse refuse them with the target's position.
//
// Expressions see {"source", "object", "recordId", "op", "occurredAt",
// "fields": {...}}. Missing values are left out (updates are partial). A
// change that is not a full record and touches no mapped field, a change
// of an unmapped object, and an ignored delete yield no events and no error.
// Map errors wrap webhook.ErrUnmappable.
//
// This package imports events and webhook; nothing from AWS, Gainsight or
// the CRM adapters.
package mapping
