package store

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// CreateAssessment stores an assessment with its first judgement.
func (tx *Tx) CreateAssessment(a *accountability.Assessment, j accountability.Judgement) error {
	tx.touch("assessments", a.ID)
	if _, err := tx.exec("create assessment", `
INSERT INTO assessments (id, incident, attribution, subject, created_at) VALUES ($1, $2, $3, $4, $5)`,
		a.ID, string(a.Incident), a.Attribution, string(a.Subject), tx.t(a.CreatedAt)); err != nil {
		return err
	}
	return tx.AddJudgement(a.ID, j)
}

// AddJudgement stores a new version of an assessment's judged factors.
func (tx *Tx) AddJudgement(assessment string, j accountability.Judgement) error {
	tx.touch("assessment_factors", assessment)
	_, err := tx.exec("record judgement", `
INSERT INTO assessment_factors (assessment, version, expected_to_prevent, policy_violation, set_by, set_at)
VALUES ($1, $2, $3, $4, $5, $6)`,
		assessment, j.Version, string(j.ExpectedToPrevent), string(j.PolicyViolation), string(j.SetBy), tx.t(j.SetAt))
	return err
}

const assessmentColumns = `a.id, a.incident, a.attribution, a.subject, a.created_at`

func scanAssessment(rows *sql.Rows) (accountability.Assessment, error) {
	var a accountability.Assessment
	var inc, subj string
	err := rows.Scan(&a.ID, &inc, &a.Attribution, &subj, tm(&a.CreatedAt))
	a.Incident, a.Subject = incident.ID(inc), org.Ref(subj)
	return a, err
}

// CurrentAssessment returns the assessment of the attribution in force for
// an incident.
func (tx *Tx) CurrentAssessment(id incident.ID) (accountability.Assessment, error) {
	var a accountability.Assessment
	err := tx.one("no assessment for "+string(id)+": its attribution is not decided", `
SELECT `+assessmentColumns+` FROM assessments a JOIN incidents i ON i.attribution = a.attribution WHERE i.id = $1`,
		[]any{string(id)}, func(rows *sql.Rows) (err error) {
			a, err = scanAssessment(rows)
			return err
		})
	return a, err
}

// Judgement returns the latest judgement of an assessment.
func (tx *Tx) Judgement(assessment string) (accountability.Judgement, error) {
	var j accountability.Judgement
	err := tx.one("no judgement for assessment "+assessment, `
SELECT version, expected_to_prevent, policy_violation, set_by, set_at FROM assessment_factors
WHERE assessment = $1 ORDER BY version DESC LIMIT 1`, []any{assessment}, func(rows *sql.Rows) error {
		var exp, pv, by string
		err := rows.Scan(&j.Version, &exp, &pv, &by, tm(&j.SetAt))
		j.ExpectedToPrevent, j.PolicyViolation, j.SetBy = accountability.Expectation(exp), accountability.Violation(pv), org.Ref(by)
		return err
	})
	return j, err
}

// guidanceJSON is how a decision keeps the guidance and factors it was made
// against.
type guidanceJSON struct {
	Level    int    `json:"level"`
	Judged   bool   `json:"judged"`
	NotifyHR bool   `json:"notify_hr,omitempty"`
	Steps    []step `json:"steps"`
	Factors  struct {
		ExpectedToPrevent  string `json:"expected_to_prevent"`
		PolicyViolation    string `json:"policy_violation"`
		IntegrityViolation bool   `json:"integrity_violation"`
		PriorFaults        int    `json:"prior_faults"`
		Severity           string `json:"severity"`
		RecentlyInherited  bool   `json:"recently_inherited"`
	} `json:"factors"`
}

type step struct {
	Factor string `json:"factor"`
	Change string `json:"change"`
	Level  int    `json:"level"`
	Why    string `json:"why"`
}

func encodeGuidance(g accountability.Guidance, f accountability.Factors) (string, error) {
	j := guidanceJSON{Level: int(g.Level), Judged: g.Judged, NotifyHR: g.NotifyHR, Steps: []step{}}
	for _, s := range g.Steps {
		j.Steps = append(j.Steps, step{Factor: s.Factor, Change: s.Change, Level: int(s.Level), Why: s.Why})
	}
	j.Factors.ExpectedToPrevent, j.Factors.PolicyViolation = string(f.ExpectedToPrevent), string(f.PolicyViolation)
	j.Factors.IntegrityViolation, j.Factors.PriorFaults = f.IntegrityViolation, f.PriorFaults
	j.Factors.Severity, j.Factors.RecentlyInherited = string(f.Severity), f.RecentlyInherited
	b, err := json.Marshal(j)
	return string(b), err
}

func decodeGuidance(text string) (accountability.Guidance, accountability.Factors, error) {
	var j guidanceJSON
	if err := json.Unmarshal([]byte(text), &j); err != nil {
		return accountability.Guidance{}, accountability.Factors{}, err
	}
	g := accountability.Guidance{Level: accountability.Level(j.Level), Judged: j.Judged, NotifyHR: j.NotifyHR}
	for _, s := range j.Steps {
		g.Steps = append(g.Steps, accountability.Step{Factor: s.Factor, Change: s.Change, Level: accountability.Level(s.Level), Why: s.Why})
	}
	f := accountability.Factors{ExpectedToPrevent: accountability.Expectation(j.Factors.ExpectedToPrevent),
		PolicyViolation: accountability.Violation(j.Factors.PolicyViolation), IntegrityViolation: j.Factors.IntegrityViolation,
		PriorFaults: j.Factors.PriorFaults, Severity: incident.Severity(j.Factors.Severity), RecentlyInherited: j.Factors.RecentlyInherited}
	return g, f, nil
}

// CreateAssessmentDecision stores a decision record.
func (tx *Tx) CreateAssessmentDecision(d *accountability.Decision) error {
	tx.touch("assessment_decisions", d.ID)
	g, err := encodeGuidance(d.Guidance, d.Factors)
	if err != nil {
		return fmt.Errorf("encode guidance: %w", err)
	}
	_, err = tx.exec("record assessment decision", `
INSERT INTO assessment_decisions (id, assessment, kind, level, guidance_level, guidance, justification, decided_by, decided_at, supersedes)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		d.ID, d.Assessment, string(d.Kind), int(d.Level), int(d.Guidance.Level), g, d.Justification, string(d.DecidedBy),
		tx.t(d.DecidedAt), nullStr(d.Supersedes))
	return err
}

const decisionRecordColumns = `d.id, d.assessment, d.kind, d.level, d.guidance, d.justification, d.decided_by, d.decided_at, d.supersedes`

func scanAssessmentDecision(rows *sql.Rows) (accountability.Decision, error) {
	var d accountability.Decision
	var kind, g, by string
	var level int
	if err := rows.Scan(&d.ID, &d.Assessment, &kind, &level, &g, &d.Justification, &by, tm(&d.DecidedAt), str(&d.Supersedes)); err != nil {
		return d, err
	}
	d.Kind, d.Level, d.DecidedBy = accountability.Kind(kind), accountability.Level(level), org.Ref(by)
	var err error
	d.Guidance, d.Factors, err = decodeGuidance(g)
	return d, err
}

// AssessmentDecisions returns an assessment's decision records, oldest
// first.
func (tx *Tx) AssessmentDecisions(assessment string) ([]accountability.Decision, error) {
	var out []accountability.Decision
	err := tx.each("list assessment decisions", `SELECT `+decisionRecordColumns+` FROM assessment_decisions d
WHERE d.assessment = $1 ORDER BY d.decided_at, d.id`, []any{assessment}, func(rows *sql.Rows) error {
		d, err := scanAssessmentDecision(rows)
		out = append(out, d)
		return err
	})
	return out, err
}

// DecisionTallies tallies, by decider, the decision records made by the
// given deciders (all when empty) since a moment, for the fairness report
// (J5): what accountability.TallyDecisions gives over the same records,
// summed in the database from each record's level and guidance level. It
// reads assessment_decisions_decider (0036), which holds every column it
// needs: a year of records read one by one, each guidance decoded, took
// 5.1 s at PRODUCT.md section 9's size.
func (tx *Tx) DecisionTallies(deciders []org.Ref, since time.Time) ([]accountability.Tally, error) {
	q := `SELECT d.decided_by, COUNT(*), SUM(d.level - d.guidance_level), SUM(CASE WHEN d.level <> d.guidance_level THEN 1 ELSE 0 END)
FROM assessment_decisions d WHERE d.decided_at >= $1`
	args := []any{tx.t(since)}
	switch {
	case len(deciders) > manyRefs:
		args = append(args, tx.refsArg(deciders))
		q += ` AND ` + tx.inRefs("d.decided_by", 2)
	case len(deciders) > 0:
		q += ` AND d.decided_by IN ` + inList(2, len(deciders))
		args = append(args, refArgs(deciders)...)
	}
	var out []accountability.Tally
	err := tx.each("tally decisions by decider", q+` GROUP BY d.decided_by ORDER BY d.decided_by`, args, func(rows *sql.Rows) error {
		var t accountability.Tally
		var by string
		if err := rows.Scan(&by, &t.Decisions, &t.DeviationSum, &t.Departed); err != nil {
			return err
		}
		t.Decider = org.Ref(by)
		out = append(out, t)
		return nil
	})
	return out, err
}

// PriorRecord returns what the subject's prior faults are counted from
// (accountability.PriorFaults), for incidents that started in [from,
// before): the judgement of each decided attribution naming it, by how many
// attributions were judged each way ("" for not judged), and how many of
// its integrity violations were confirmed in the window.
func (tx *Tx) PriorRecord(subject org.Ref, from, before time.Time) (map[accountability.Expectation]int, int, error) {
	judged := map[accountability.Expectation]int{}
	err := tx.each("read prior faults", `
SELECT e.expected, COUNT(*) FROM (
  SELECT COALESCE((SELECT f.expected_to_prevent FROM assessments s JOIN assessment_factors f ON f.assessment = s.id
                   WHERE s.attribution = a.id ORDER BY f.version DESC LIMIT 1), '') AS expected
  FROM incidents i JOIN attributions a ON a.id = i.attribution
  WHERE a.party = $1 AND i.started_at >= $2 AND i.started_at < $3) e
GROUP BY e.expected`, []any{string(subject), tx.t(from), tx.t(before)}, func(rows *sql.Rows) error {
		var e string
		var n int
		err := rows.Scan(&e, &n)
		judged[accountability.Expectation(e)] = n
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	var violations int
	err = tx.get("count confirmed violations", `
SELECT COUNT(*) FROM integrity_flags WHERE subject = $1 AND state = 'confirmed' AND reviewed_at >= $2 AND reviewed_at < $3`,
		[]any{string(subject), tx.t(from), tx.t(before)}, &violations)
	return judged, violations, err
}

// CreateAppeal stores an appeal.
func (tx *Tx) CreateAppeal(ap *accountability.Appeal) error {
	tx.touch("appeals", ap.Assessment)
	_, err := tx.exec("file appeal", `
INSERT INTO appeals (assessment, decision, reason, filed_by, filed_at, reviewer) VALUES ($1, $2, $3, $4, $5, $6)`,
		ap.Assessment, ap.Decision, ap.Reason, string(ap.FiledBy), tx.t(ap.FiledAt), string(ap.Reviewer))
	return err
}

// Appeal returns an assessment's appeal.
func (tx *Tx) Appeal(assessment string) (accountability.Appeal, error) {
	var ap accountability.Appeal
	err := tx.one("no appeal", `SELECT assessment, decision, reason, filed_by, filed_at, reviewer, outcome FROM appeals WHERE assessment = $1`,
		[]any{assessment}, func(rows *sql.Rows) error {
			var by, rev string
			err := rows.Scan(&ap.Assessment, &ap.Decision, &ap.Reason, &by, tm(&ap.FiledAt), &rev, str(&ap.Outcome))
			ap.FiledBy, ap.Reviewer = org.Ref(by), org.Ref(rev)
			return err
		})
	return ap, err
}

// SetAppealOutcome links an appeal to its outcome decision, once.
func (tx *Tx) SetAppealOutcome(assessment, decision string) error {
	tx.touch("appeals", assessment)
	res, err := tx.exec("record appeal outcome", `UPDATE appeals SET outcome = $2 WHERE assessment = $1 AND outcome IS NULL`, assessment, decision)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("appeal of %s already has an outcome", assessment)
	}
	return nil
}

// Createaccountability.FairnessFlag stores a fairness flag.
func (tx *Tx) CreateFairnessFlag(f accountability.FairnessFlag) error {
	tx.touch("fairness_flags", f.ID)
	_, err := tx.exec("raise fairness flag", `
INSERT INTO fairness_flags (id, rule, about, raised_to, incident, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		f.ID, f.Rule, string(f.About), string(f.RaisedTo), nullStr(string(f.Incident)), f.Detail, tx.t(f.CreatedAt))
	return err
}

// accountability.FairnessFlags lists the fairness flags about the given leaders (all when
// empty), newest first.
func (tx *Tx) FairnessFlags(about []org.Ref) ([]accountability.FairnessFlag, error) {
	q := `SELECT id, rule, about, raised_to, incident, detail, created_at FROM fairness_flags`
	var args []any
	if len(about) > 0 {
		q += ` WHERE about IN ` + inList(1, len(about))
		args = refArgs(about)
	}
	var out []accountability.FairnessFlag
	err := tx.each("list fairness flags", q+` ORDER BY created_at DESC, id`, args, func(rows *sql.Rows) error {
		var f accountability.FairnessFlag
		var ab, to, inc string
		err := rows.Scan(&f.ID, &f.Rule, &ab, &to, str(&inc), &f.Detail, tm(&f.CreatedAt))
		f.About, f.RaisedTo, f.Incident = org.Ref(ab), org.Ref(to), incident.ID(inc)
		out = append(out, f)
		return err
	})
	return out, err
}

// EachFault calls fn with every decided attribution naming the party (in
// force), newest first: a person's or team's own faults, read in one pass
// however the caller counts and caps them.
func (tx *Tx) EachFault(party org.Ref, fn func(accountability.Fault) error) error {
	return tx.each("list faults", `
SELECT i.id, i.title, i.severity, i.started_at, a.rule FROM incidents i JOIN attributions a ON a.id = i.attribution
WHERE a.party = $1 ORDER BY i.started_at DESC, i.id`, []any{string(party)}, func(rows *sql.Rows) error {
		var f accountability.Fault
		var id, sev string
		if err := rows.Scan(&id, &f.Title, &sev, tm(&f.StartedAt), &f.Rule); err != nil {
			return err
		}
		f.Incident, f.Severity = incident.ID(id), incident.Severity(sev)
		return fn(f)
	})
}

// UndecidedAssessments returns the assessments in force (those of the
// attributions incidents now carry) that no level has been decided on,
// created at or after since, oldest first, at most limit; of subjects
// only, when it is not nil. All subjects' are read in order from
// assessments_created, a few subjects' from assessments_subject; each
// one's incident is looked up by its attribution.
func (tx *Tx) UndecidedAssessments(subjects []org.Ref, since time.Time, limit int) ([]accountability.Assessment, error) {
	var out []accountability.Assessment
	args := []any{tx.t(since)}
	of := ""
	switch {
	case subjects == nil:
	case len(subjects) == 0:
		return nil, nil
	case len(subjects) > manyRefs:
		args = append(args, tx.refsArg(subjects))
		of = " AND " + tx.inRefs("a.subject", 2)
	default:
		of = " AND a.subject IN " + inList(2, len(subjects))
		args = append(args, refArgs(subjects)...)
	}
	err := tx.each("list undecided assessments", `
SELECT `+assessmentColumns+` FROM assessments a
WHERE a.created_at >= $1`+of+` AND EXISTS (SELECT 1 FROM incidents i WHERE i.attribution = a.attribution)
  AND NOT EXISTS (SELECT 1 FROM assessment_decisions d WHERE d.assessment = a.id)
ORDER BY a.created_at, a.id LIMIT `+itoa(limit), args, func(rows *sql.Rows) error {
		a, err := scanAssessment(rows)
		out = append(out, a)
		return err
	})
	return out, err
}
