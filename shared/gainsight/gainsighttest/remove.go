package gainsighttest

// RemoveGoal deletes the goal (not template) with the Gsid, as somebody
// deleting it in Gainsight's UI would: later updates of the Gsid are
// answered "Invalid Gsid provided in request" and fetches no longer find
// it. It reports whether there was such a goal.
func (s *Server) RemoveGoal(gsid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.t.goals[gsid]
	if !ok || g.category != CategoryGoal {
		return false
	}
	delete(s.t.goals, gsid)
	return true
}
