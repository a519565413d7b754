package gainsighttest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

func TestRemoveGoal(t *testing.T) {
	s := gainsighttest.NewServer(t)
	goals := s.Goals()
	if len(goals) == 0 {
		t.Fatal("the seeded tenant has no goals")
	}
	gsid := goals[0].Gsid
	if !s.RemoveGoal(gsid) {
		t.Fatalf("RemoveGoal(%s) = false", gsid)
	}
	if _, ok := s.Goal(gsid); ok {
		t.Errorf("goal %s still there", gsid)
	}
	if s.RemoveGoal(gsid) {
		t.Errorf("second RemoveGoal(%s) = true", gsid)
	}
	if tpl := s.Templates(); len(tpl) > 0 && s.RemoveGoal(tpl[0].Gsid) {
		t.Errorf("RemoveGoal removed template %s", tpl[0].Gsid)
	}
	body := `{"requests":[{"record":{"Gsid":"` + gsid + `","Name":"x"}}]}`
	req, _ := http.NewRequest(http.MethodPut, s.URL+"/v1/csgoal/external/update", strings.NewReader(body))
	req.Header.Set("accesskey", s.AccessKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("update of a removed goal: HTTP %d, want 500 Invalid Gsid", resp.StatusCode)
	}
}
