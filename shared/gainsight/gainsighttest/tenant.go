package gainsighttest

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// Gsid prefixes used for generated records.
const (
	prefixGoal         = "1CG0" // goals and goal templates
	prefixPicklist     = "1I00" // statuses, goal types, metrics, metric values
	prefixUser         = "1P01"
	prefixCompany      = "1P02"
	prefixRelationship = "1P05"
	prefixRelType      = "1P06"
	prefixOpportunity  = "1P0A"
	prefixCTA          = "1S01"
	prefixSP           = "1S02"
)

// Goal categories.
const (
	CategoryGoal     = "GOAL"
	CategoryTemplate = "TEMPLATE"
)

// Object names a lookup may name.
const (
	ObjectCompany      = "company"
	ObjectRelationship = "relationship"
	ObjectOpportunity  = "opportunity"
	ObjectUser         = "gsuser"
)

// object is a row of a lookup-able object (company, relationship, ...).
type object struct {
	gsid   string
	fields map[string]string // Name, CompanyId, TypeId, ...
}

// picklistItem is a goal status or goal type.
type picklistItem struct {
	gsid          string
	name          string
	systemName    string
	category      string // GOAL_TYPE or GOAL_STATUS
	color         string
	displayOrder  int
	active        bool
	open          bool // statuses: an open status (not closed)
	systemDefined bool
	entityIDs     []string // goal types: COMPANY, RELATIONSHIP type ids, ALL_ENTITY
}

// metric is a Customer Goals metric.
type metric struct {
	gsid, name, description, unit string
	displayOrder                  int
	active, systemDefined         bool
	createdAt, modifiedAt         int64
	createdBy, modifiedBy         string
	goalTypes                     []string
}

// work is a CTA or a Success Plan.
type work struct {
	gsid, name, entityType, ownerID, statusID, dueDate, companyID string
}

// goalRec is a stored goal or template.
type goalRec struct {
	gsid     string
	seq      int
	fields   map[string]any // API name → value (strings, json.Number, int64, []string, nil)
	ctas     []string
	sps      []string
	metrics  []*metricValue
	category string
}

type metricValue struct {
	gsid, metricID    string
	baseValue, target *float64
	actual            []ActualValue
}

// tenant is the state; every access holds Server.mu.
type tenant struct {
	id           func(prefix string) string
	now          func() time.Time
	objects      map[string][]*object
	statuses     []*picklistItem
	goalTypes    []*picklistItem
	metrics      []*metric
	ctas         []*work
	sps          []*work
	customFields map[string]bool
	// acceptGoalTypeName mirrors Options.AcceptGoalTypeName.
	acceptGoalTypeName bool
	goals              map[string]*goalRec
	seq                int
	userID             string
	userName           string
	nextOrder          int
}

func newTenant(id func(string) string, now func() time.Time) *tenant {
	return &tenant{
		id:           id,
		now:          now,
		objects:      map[string][]*object{},
		customFields: map[string]bool{},
		goals:        map[string]*goalRec{},
		nextOrder:    100,
	}
}

// standardGoalFields can be selected, filtered on and (unless read-only) written.
var standardGoalFields = map[string]bool{
	"Gsid": true, "Name": true, "Description": true, "DueDate": true, "StatusId": true,
	"GoalTypeId": true, "EntityType": true, "CompanyId": true, "RelationshipId": true,
	"RelationshipTypeId": true, "OpportunityId": true, "TemplateId": true, "GoalCategory": true,
	"CurrencyIsoCode": true, "OwnerId": true, "CreatedById": true, "ModifiedById": true,
	"CreatedDate": true, "ModifiedDate": true, "AssociatedWork": true,
}

var readOnlyFields = map[string]bool{
	"GoalCategory": true, "CreatedById": true, "ModifiedById": true, "CreatedDate": true, "ModifiedDate": true,
}

func (t *tenant) isField(name string) bool { return standardGoalFields[name] || t.customFields[name] }

// ---- seed -----------------------------------------------------------------

func (t *tenant) addObject(kind, gsid string, fields map[string]string) string {
	if gsid == "" {
		gsid = t.id(map[string]string{
			ObjectCompany: prefixCompany, ObjectRelationship: prefixRelationship,
			ObjectOpportunity: prefixOpportunity, ObjectUser: prefixUser, "relationshiptype": prefixRelType,
		}[kind])
	}
	f := maps.Clone(fields)
	f["Gsid"] = gsid
	t.objects[kind] = append(t.objects[kind], &object{gsid: gsid, fields: f})
	return gsid
}

func (t *tenant) object(kind, gsid string) *object {
	for _, o := range t.objects[kind] {
		if o.gsid == gsid {
			return o
		}
	}
	return nil
}

func (t *tenant) objectByName(kind, name string) *object {
	for _, o := range t.objects[kind] {
		if o.fields["Name"] == name {
			return o
		}
	}
	return nil
}

func (t *tenant) addStatus(gsid, name string, open bool) string {
	if gsid == "" {
		gsid = t.id(prefixPicklist)
	}
	t.statuses = append(t.statuses, &picklistItem{gsid: gsid, name: name, category: "GOAL_STATUS",
		color: "#6FA8DC", displayOrder: len(t.statuses) + 1, active: true, open: open})
	return gsid
}

func (t *tenant) addGoalType(gsid, name string, active bool, entityIDs ...string) string {
	if gsid == "" {
		gsid = t.id(prefixPicklist)
	}
	if len(entityIDs) == 0 {
		entityIDs = []string{"ALL_ENTITY"}
	}
	gt := &picklistItem{gsid: gsid, name: name, category: "GOAL_TYPE", color: "#98E7B1",
		displayOrder: len(t.goalTypes) + 1, active: active, entityIDs: entityIDs}
	if name == "Default" {
		gt.systemName, gt.systemDefined = "DEFAULT_GOAL_TYPE", true
	}
	t.goalTypes = append(t.goalTypes, gt)
	return gsid
}

func (t *tenant) addMetric(gsid, name, unit, desc string, goalTypes ...string) *metric {
	if gsid == "" {
		gsid = t.id(prefixPicklist)
	}
	now := t.now().UnixMilli()
	t.nextOrder++
	m := &metric{gsid: gsid, name: name, unit: unit, description: desc, displayOrder: t.nextOrder,
		active: true, createdAt: now, modifiedAt: now, createdBy: t.userID, modifiedBy: t.userID,
		goalTypes: slices.Clone(goalTypes)}
	t.metrics = append(t.metrics, m)
	return m
}

func (t *tenant) addWork(cta bool, gsid, name, companyID, entityType string) string {
	w := &work{gsid: gsid, name: name, companyID: companyID, entityType: entityType,
		ownerID: t.userID, dueDate: "2026-12-31 11:30:00"}
	if cta {
		if w.gsid == "" {
			w.gsid = t.id(prefixCTA)
		}
		w.statusID = "1I004Y368TQW84KNMBCTAOPEN00000000001"
		t.ctas = append(t.ctas, w)
	} else {
		if w.gsid == "" {
			w.gsid = t.id(prefixSP)
		}
		w.statusID = "1I004Y368TQW84KNMBVMAMEBL1IOFF9APWGI"
		t.sps = append(t.sps, w)
	}
	return w.gsid
}

// seed fills the tenant. Gsids that appear in the API specification's
// samples are used for the matching seed records, so the spec's sample
// requests run verbatim against the simulator.
func (t *tenant) seed(full bool) {
	t.userName = "GoalRelay Integration"
	t.userID = t.addObject(ObjectUser, "1P01J0CQPQSRP90S3XREZGN79WR84S54PAPT",
		map[string]string{"Name": t.userName, "Email": "integration@goalrelay.example"})
	def := t.addGoalType("1I00GO4Q83RGDEM94Y417YFL8IB9L9R5WO99", "Default", true)
	t.addStatus("1I005IUOFEZ24SJ62ZZHOLW1BP2Z1M8O4IIN", "New", true)
	if !full {
		return
	}
	t.addObject(ObjectUser, "", map[string]string{"Name": "Jane Doe", "Email": "jane.doe@goalrelay.example"})

	ibm := t.addObject(ObjectCompany, "1P02GZA9BI8FRI07JF95E331G0FA4RHW6LUB", map[string]string{"Name": "IBM", "Industry": "Technology"})
	acme := t.addObject(ObjectCompany, "", map[string]string{"Name": "Acme Corp", "Industry": "Manufacturing"})
	t.addObject(ObjectCompany, "", map[string]string{"Name": "Globex", "Industry": "Energy"})
	t.addObject(ObjectCompany, "", map[string]string{"Name": "Initech", "Industry": "Software"})
	t.addObject(ObjectCompany, "", map[string]string{"Name": "Umbrella Corporation", "Industry": "Pharma"})
	meta := t.addObject(ObjectCompany, "1P029JPET0U4HYGEAU5VBVM5IZ9G6MFOG1OT", map[string]string{"Name": "Meta", "Industry": "Technology"})
	newCo := t.addObject(ObjectCompany, "1P0275DAZIB1U41FWU0FBY7UJL61TUQZY6UV", map[string]string{"Name": "NEW", "Industry": "Retail"})
	_ = meta

	plType := t.addObject("relationshiptype", "", map[string]string{"Name": "Product Line"})
	buType := t.addObject("relationshiptype", "", map[string]string{"Name": "Business Unit"})
	t.addObject(ObjectRelationship, "", map[string]string{"Name": "IBM Cloud", "CompanyId": ibm, "TypeId": plType})
	t.addObject(ObjectRelationship, "", map[string]string{"Name": "IBM Consulting", "CompanyId": ibm, "TypeId": buType})
	t.addObject(ObjectRelationship, "", map[string]string{"Name": "Acme Rockets", "CompanyId": acme, "TypeId": plType})
	t.addObject(ObjectOpportunity, "", map[string]string{"Name": "IBM Renewal 2026", "CompanyId": ibm})
	t.addObject(ObjectOpportunity, "", map[string]string{"Name": "Acme Expansion", "CompanyId": acme})

	onTrack := t.addStatus("1I005IUOFEZ24SJ62ZBMHBO3HEB0OV9XW41D", "On Track", true)
	t.addStatus("1I005IUOFEZ24SJ62Z3MB2HWTSSQNX9MCSTB", "At Risk", true)
	achieved := t.addStatus("1I005IUOFEZ24SJ62ZSP4PI1BZX88VUL4V1Z", "Achieved", false)
	notAchieved := t.addStatus("1I005IUOFEZ24SJ62ZSUKB6C3WN620DSIBYT", "Not Achieved", false)
	closed := t.addStatus("1I005IUOFEZ24SJ62ZJYCFVNWXRC1SN73XSV", "Closed", false)
	t.addStatus("", "In Progress", true)

	cp := t.addGoalType("1I00GO4Q83RGDEM94YM7VTGXMVT1E1JLKNQB", "CP Goal Type", true, "COMPANY")
	t.addGoalType("", "Adoption", true)
	renewal := t.addGoalType("", "Renewal", true, "COMPANY")
	t.addGoalType("", "Expansion", true, "COMPANY", plType)
	cg1 := t.addGoalType("1I00GO4Q83RGDEM94Y93I859J3I3KEZXZZF2", "CG1", true)
	cg4 := t.addGoalType("1I00GO4Q83RGDEM94YUKVBH3OA6UU7RGBRII", "CG4", true)
	t.addGoalType("", "Legacy Onboarding", false, "COMPANY")

	all := make([]string, 0, len(t.goalTypes))
	for _, gt := range t.goalTypes {
		all = append(all, gt.gsid)
	}
	seats := t.addMetric("1I0056K976K5AXWOB1HPW54VIC18AHVJ1TTG", "Seats Activated", "DECIMAL", "<p>Seats in use</p>", all...)
	adoption := t.addMetric("1I0056K976K5AXWOB1XICUZ6DNSP6MZDCWNQ", "Adoption Rate", "PERCENTAGE", "<p>Share of licensed seats in use</p>", all...)
	t.addMetric("1I0056K976K5AXWOB1KBHCAG860QZ6E3JG52", "Active Users", "DECIMAL", "<p>Monthly active users</p>", all...)
	nps := t.addMetric("1I0056K976K5AXWOB1P7YWFJNZOIUXW8YMEQ", "NPS", "DECIMAL", "<p>Net promoter score</p>", all...)
	t.addMetric("1I0056K976K5AXWOB1PGJTG9R7V2KYR0KBHZ", "Renewal ARR", "CURRENCY", "<p>Annual recurring revenue</p>", renewal, cg1)
	t.addMetric("1I0056K976K5AXWOB1NB0L2GCSS77AMROJ8W", "Unused Metric", "PERCENTAGE", "<p>Not used anywhere</p>")
	_ = seats

	cta1 := t.addWork(true, "1S010R2NEBJLG2RT8IP6XWLYWZDDAVCXEK5J", "Onboarding kickoff", ibm, "COMPANY")
	cta2 := t.addWork(true, "1S010R2NEBJLG2RT8I19P44KW9MBT5QG6NBC", "Low adoption risk", ibm, "COMPANY")
	t.addWork(true, "1S015065Y1L4AP5SUXPXKGDH9S0CAT75F3CY", "Renewal prep", ibm, "COMPANY")
	t.addWork(true, "1S015065Y1L4AP5SUXAN0N0MYVAFR66HRNQR", "Executive sponsor change", ibm, "COMPANY")
	t.addWork(true, "1S015065Y1L4AP5SUXV96R83SMQ523UNWRXP", "QBR follow-up", newCo, "COMPANY")
	ctaOld := t.addWork(true, "1S015065Y1L4AP5SUXO3AX169IGVLKKJ5N7R", "Support escalation", newCo, "COMPANY")
	t.addWork(true, "", "Champion left", acme, "COMPANY")
	sp1 := t.addWork(false, "1S02J57N1K69N1VBJKLIBNH5YIJBBWEUOK4B", "IBM Success Plan", ibm, "COMPANY")
	t.addWork(false, "1S02JJSBDT2ZT78W7NMT0VBJP3QF725QD8RC", "IBM Adoption Plan", ibm, "COMPANY")
	t.addWork(false, "1S02JJSBDT2ZT78W7N3SX0J712OA8HOTBSQ7", "IBM Renewal Plan", ibm, "COMPANY")
	t.addWork(false, "1S02JJSBDT2ZT78W7N3V2OYXMWCH2B720L51", "NEW Growth Plan", newCo, "COMPANY")
	spOld := t.addWork(false, "1S02JJSBDT2ZT78W7N326U5W640ZRK54GLAT", "NEW Onboarding Plan", newCo, "COMPANY")
	barcaSP := t.addWork(false, "1S02JJSBDT2ZT78W7NL2NR8BXMXALV76JBSC", "barca_sp "+cg4, newCo, "COMPANY")
	relSP := t.addWork(false, "1S02JJSBDT2ZT78W7N8GO7DU8XPA0RUBHPZ0", "Acc Rel Assoc SP 2", newCo, "RELATIONSHIP")
	t.addWork(false, "", "Acme Success Plan", acme, "COMPANY")

	g := func(gsid, name, typ, status, company, due string, extra map[string]any) *goalRec {
		f := map[string]any{"Name": name, "GoalTypeId": typ, "StatusId": status, "EntityType": "COMPANY",
			"CompanyId": company, "Description": "<p>" + name + "</p>", "CurrencyIsoCode": "USD"}
		if due != "" {
			f["DueDate"] = due
		}
		maps.Copy(f, extra)
		return t.insert(gsid, CategoryGoal, f)
	}
	cg15 := g("1CG03GFNBH1NOBHOND412PHFQQEPGXWOQ1T9", "CG15", def, onTrack, ibm, "2022-12-21", nil)
	cg15.ctas = []string{cta1, cta2}
	cg15.sps = []string{sp1}
	g("1CG03GFNBH1NOBHONDL3T69ND47717CRSH0C", "CGnew", def, closed, ibm, "2023-02-01",
		map[string]any{"Description": "<p><br>Desc 7</p>"})
	tn := g("1CG0LXVS2HO4Y5ZF1F6TV4R7ZV0ZO6MPG6S1", "Goal Template Name", cp, onTrack, newCo, "2025-01-15",
		map[string]any{"comp_lookup_gsid__gc": newCo, "cust_string_value__gc": "custom value"})
	tn.ctas, tn.sps = []string{ctaOld}, []string{spOld}
	tn.metrics = []*metricValue{{gsid: t.id(prefixPicklist), metricID: nps.gsid, baseValue: ptr(10.0), target: ptr(50.0),
		actual: []ActualValue{{Value: 30, Timestamp: "2025-01-04"}}}}
	b1 := g("1CG0LXVS2HO4Y5ZF1F6YYCF1TN6O5RCW2ZTO", "barca_template", cg4, achieved, newCo, "2025-01-30",
		map[string]any{"cust_string_value__gc": "hello"})
	b1.sps = []string{barcaSP}
	b2 := g("1CG0LXVS2HO4Y5ZF1FJINHVV1BOPDPEGV3J4", "Barca custom goal ", cg4, notAchieved, newCo, "",
		map[string]any{"cust_string_value__gc": "hello"})
	b2.sps = []string{barcaSP}
	b3 := g("1CG0LXVS2HO4Y5ZF1FLUUZU35FSKQ35Y65OE", "barca_template", cg4, achieved, newCo, "2025-01-30",
		map[string]any{"cust_string_value__gc": "hello"})
	b3.sps = []string{relSP}
	gg := g("1CG0LXVS2HO4Y5ZF1FQZ4XVPN0VE1AJSZ415", "gggg", cp, onTrack, ibm, "2026-06-30",
		map[string]any{"goalrelay_external_id__gc": "seed-gggg", "crm_stage__gc": "qualified"})
	gg.metrics = []*metricValue{{gsid: t.id(prefixPicklist), metricID: adoption.gsid, baseValue: ptr(10.0), target: ptr(80.0),
		actual: []ActualValue{{Value: 42, Timestamp: "2026-01-15"}}}}

	tpl := func(gsid, name, typ, status string, days int64, extra map[string]any) *goalRec {
		f := map[string]any{"Name": name, "GoalTypeId": typ, "StatusId": status, "DueDate": days,
			"Description": "Template " + name, "CurrencyIsoCode": "USD"}
		maps.Copy(f, extra)
		return t.insert(gsid, CategoryTemplate, f)
	}
	gtn := tpl("1CG01SX5TCMHZ0OXX0XMV01B68HZR4B6W7AX", "Goal Template Name", def, onTrack, 30, nil)
	gtn.metrics = []*metricValue{{gsid: t.id(prefixPicklist), metricID: nps.gsid}}
	tpl("1CG01SX5TCMHZ0OXX0750YQUGDZ3WPZ50KBY", "Obsolete template", def, onTrack, 90, nil)
	tpl("1CG01SX5TCMHZ0OXX0IXL1HYTPDCJ26XEY8N", "barca_template", cg4, achieved, 0,
		map[string]any{"cust_string_value__gc": "hello"})
}

func ptr[T any](v T) *T { return &v }

// insert stores a new goal or template with system fields filled in.
func (t *tenant) insert(gsid, category string, f map[string]any) *goalRec {
	if gsid == "" {
		gsid = t.id(prefixGoal)
	}
	now := t.now().UnixMilli()
	t.seq++
	f["Gsid"] = gsid
	f["GoalCategory"] = category
	f["CreatedDate"], f["ModifiedDate"] = now, now
	f["CreatedById"], f["ModifiedById"] = t.userID, t.userID
	if _, ok := f["CurrencyIsoCode"]; !ok {
		f["CurrencyIsoCode"] = "USD"
	}
	g := &goalRec{gsid: gsid, seq: t.seq, fields: f, category: category}
	t.goals[gsid] = g
	return g
}

func (t *tenant) status(gsid string) *picklistItem {
	return findItem(t.statuses, func(p *picklistItem) bool { return p.gsid == gsid })
}
func (t *tenant) goalType(gsid string) *picklistItem {
	return findItem(t.goalTypes, func(p *picklistItem) bool { return p.gsid == gsid })
}

// byName matches picklist names case-insensitively (trimmed), as Gainsight's
// name resolution does.
func byName(items []*picklistItem, name string) *picklistItem {
	return findItem(items, func(p *picklistItem) bool { return strings.EqualFold(p.name, strings.TrimSpace(name)) })
}

func findItem[T any](items []*T, pred func(*T) bool) *T {
	for _, it := range items {
		if pred(it) {
			return it
		}
	}
	return nil
}

func (t *tenant) metric(gsid string) *metric {
	return findItem(t.metrics, func(m *metric) bool { return m.gsid == gsid })
}

func (t *tenant) work(cta bool, gsid string) *work {
	list := t.sps
	if cta {
		list = t.ctas
	}
	return findItem(list, func(w *work) bool { return w.gsid == gsid })
}

// sortedGoals lists goals of a category in creation order.
func (t *tenant) sortedGoals(category string) []*goalRec {
	out := make([]*goalRec, 0, len(t.goals))
	for _, g := range t.goals {
		if g.category == category {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b *goalRec) int { return a.seq - b.seq })
	return out
}

// ---- exported view --------------------------------------------------------

// Goal is a snapshot of a stored goal or goal template.
type Goal struct {
	Gsid     string
	Category string // CategoryGoal or CategoryTemplate
	Name     string
	// StatusName and GoalTypeName are resolved from the ids for convenience.
	StatusID, StatusName     string
	GoalTypeID, GoalTypeName string
	EntityType               string
	CompanyID                string
	RelationshipID           string
	// DueDate is YYYY-MM-DD for goals; DueDays the template's number of days.
	DueDate      string
	DueDays      int64
	Description  string
	TemplateID   string
	CreatedDate  int64
	ModifiedDate int64
	// Fields is every stored field by its API name, standard and custom.
	Fields         map[string]any
	CTAs           []string
	SPs            []string
	AssociatedWork []string
	Metrics        []MetricValue
}

// Field returns a stored field as a string ("" when absent or null).
func (g Goal) Field(name string) string { return fieldString(g.Fields[name]) }

// MetricValue is a metric's values on a goal.
type MetricValue struct {
	Gsid        string
	MetricID    string
	BaseValue   *float64
	TargetValue *float64
	ActualValue []ActualValue
}

// ActualValue is one actual value of a metric at a date.
type ActualValue struct {
	Value     float64 `json:"value"`
	Timestamp string  `json:"timestamp"`
}

// Metric is a snapshot of a metric.
type Metric struct {
	Gsid          string
	Name          string
	Description   string
	UnitOfMeasure string
	Active        bool
	GoalTypeIDs   []string
}

func (t *tenant) view(g *goalRec) Goal {
	f := deepCopyFields(g.fields)
	v := Goal{
		Gsid: g.gsid, Category: g.category, Fields: f,
		Name: fieldString(f["Name"]), StatusID: fieldString(f["StatusId"]), GoalTypeID: fieldString(f["GoalTypeId"]),
		EntityType: fieldString(f["EntityType"]), CompanyID: fieldString(f["CompanyId"]),
		RelationshipID: fieldString(f["RelationshipId"]), Description: fieldString(f["Description"]),
		TemplateID: fieldString(f["TemplateId"]),
		CTAs:       slices.Clone(g.ctas), SPs: slices.Clone(g.sps),
	}
	if st := t.status(v.StatusID); st != nil {
		v.StatusName = st.name
	}
	if gt := t.goalType(v.GoalTypeID); gt != nil {
		v.GoalTypeName = gt.name
	}
	v.CreatedDate, _ = f["CreatedDate"].(int64)
	v.ModifiedDate, _ = f["ModifiedDate"].(int64)
	if g.category == CategoryTemplate {
		v.DueDays, _ = f["DueDate"].(int64)
	} else {
		v.DueDate = fieldString(f["DueDate"])
	}
	if aw, ok := f["AssociatedWork"].([]string); ok {
		v.AssociatedWork = slices.Clone(aw)
	}
	for _, m := range g.metrics {
		v.Metrics = append(v.Metrics, MetricValue{Gsid: m.gsid, MetricID: m.metricID, BaseValue: copyPtr(m.baseValue),
			TargetValue: copyPtr(m.target), ActualValue: slices.Clone(m.actual)})
	}
	return v
}

func copyPtr(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func deepCopyFields(f map[string]any) map[string]any {
	out := make(map[string]any, len(f))
	for k, v := range f {
		if s, ok := v.([]string); ok {
			v = slices.Clone(s)
		}
		out[k] = v
	}
	return out
}

func fieldString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// Goals returns the goals (not templates) in creation order.
func (s *Server) Goals() []Goal { return s.list(CategoryGoal) }

// Templates returns the goal templates in creation order.
func (s *Server) Templates() []Goal { return s.list(CategoryTemplate) }

func (s *Server) list(category string) []Goal {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Goal
	for _, g := range s.t.sortedGoals(category) {
		out = append(out, s.t.view(g))
	}
	return out
}

// Goal returns the goal or template with the Gsid.
func (s *Server) Goal(gsid string) (Goal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.t.goals[gsid]
	if !ok {
		return Goal{}, false
	}
	return s.t.view(g), true
}

// GoalByExternalID returns the goal whose goalrelay_external_id__gc is id.
func (s *Server) GoalByExternalID(id string) (Goal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.t.sortedGoals(CategoryGoal) {
		if fieldString(g.fields["goalrelay_external_id__gc"]) == id {
			return s.t.view(g), true
		}
	}
	return Goal{}, false
}

// Metrics returns the metrics that are not deleted.
func (s *Server) Metrics() []Metric {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Metric
	for _, m := range s.t.metrics {
		out = append(out, Metric{Gsid: m.gsid, Name: m.name, Description: m.description, UnitOfMeasure: m.unit,
			Active: m.active, GoalTypeIDs: slices.Clone(m.goalTypes)})
	}
	return out
}

// AddCompany adds a company (names need not be unique) and returns its Gsid.
func (s *Server) AddCompany(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.addObject(ObjectCompany, "", map[string]string{"Name": name})
}

// AddRelationship adds a relationship of a company and returns its Gsid.
// typeID may be empty.
func (s *Server) AddRelationship(name, companyID, typeID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.addObject(ObjectRelationship, "", map[string]string{"Name": name, "CompanyId": companyID, "TypeId": typeID})
}

// AddOpportunity adds an opportunity of a company and returns its Gsid.
func (s *Server) AddOpportunity(name, companyID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.addObject(ObjectOpportunity, "", map[string]string{"Name": name, "CompanyId": companyID})
}

// AddStatus adds an active goal status; open is false for closing statuses
// (like Achieved). It returns the status Gsid.
func (s *Server) AddStatus(name string, open bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.addStatus("", name, open)
}

// AddGoalType adds an active goal type for the entities (COMPANY,
// relationship type ids; none means ALL_ENTITY) and returns its Gsid.
func (s *Server) AddGoalType(name string, entityIDs ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.addGoalType("", name, true, entityIDs...)
}

// AddMetric adds a metric (unit DECIMAL, PERCENTAGE or CURRENCY) associated
// with the goal types (none: every goal type that exists now) and returns
// its Gsid.
func (s *Server) AddMetric(name, unit string, goalTypeIDs ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(goalTypeIDs) == 0 {
		for _, gt := range s.t.goalTypes {
			goalTypeIDs = append(goalTypeIDs, gt.gsid)
		}
	}
	return s.t.addMetric("", name, unit, "", goalTypeIDs...).gsid
}

// AddCustomField declares a custom goal field (API name, e.g. "x__gc").
func (s *Server) AddCustomField(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.customFields[name] = true
}

// AddCTA adds a CTA on a company and returns its Gsid.
func (s *Server) AddCTA(name, companyID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.addWork(true, "", name, companyID, "COMPANY")
}

// AddSuccessPlan adds a Success Plan on a company and returns its Gsid.
func (s *Server) AddSuccessPlan(name, companyID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.addWork(false, "", name, companyID, "COMPANY")
}

// CompanyID returns the Gsid of the first company with the name, or "".
func (s *Server) CompanyID(name string) string { return s.objectID(ObjectCompany, name) }

// RelationshipID returns the Gsid of the first relationship with the name, or "".
func (s *Server) RelationshipID(name string) string { return s.objectID(ObjectRelationship, name) }

// OpportunityID returns the Gsid of the first opportunity with the name, or "".
func (s *Server) OpportunityID(name string) string { return s.objectID(ObjectOpportunity, name) }

// UserID returns the Gsid of the integration user the API acts as.
func (s *Server) UserID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.userID
}

func (s *Server) objectID(kind, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.t.objectByName(kind, name); o != nil {
		return o.gsid
	}
	return ""
}

// StatusID returns the Gsid of the goal status with the name, or "".
func (s *Server) StatusID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := byName(s.t.statuses, name); p != nil {
		return p.gsid
	}
	return ""
}

// GoalTypeID returns the Gsid of the goal type with the name, or "".
func (s *Server) GoalTypeID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := byName(s.t.goalTypes, name); p != nil {
		return p.gsid
	}
	return ""
}

// MetricID returns the Gsid of the metric with the name, or "".
func (s *Server) MetricID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := findItem(s.t.metrics, func(m *metric) bool { return m.name == name }); m != nil {
		return m.gsid
	}
	return ""
}

// CTAIDs returns the Gsids of the CTAs on a company ("" for all).
func (s *Server) CTAIDs(companyID string) []string { return s.workIDs(true, companyID) }

// SuccessPlanIDs returns the Gsids of the Success Plans on a company ("" for all).
func (s *Server) SuccessPlanIDs(companyID string) []string { return s.workIDs(false, companyID) }

func (s *Server) workIDs(cta bool, companyID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.t.sps
	if cta {
		list = s.t.ctas
	}
	var out []string
	for _, w := range list {
		if companyID == "" || w.companyID == companyID {
			out = append(out, w.gsid)
		}
	}
	return out
}
