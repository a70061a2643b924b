package web

import (
	"net/http"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
)

type verifyJSON struct {
	OK       bool       `json:"ok"`
	Events   int64      `json:"events"`
	HeadSeq  int64      `json:"head_seq"`
	HeadHash string     `json:"head_hash"`
	Break    *breakJSON `json:"break"`
	Rows     rowsJSON   `json:"rows"`
}

type breakJSON struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// rowsJSON is how the current rows compare with what the chain recorded.
type rowsJSON struct {
	Checked  bool             `json:"checked"`
	Units    int64            `json:"units"`
	Count    int64            `json:"finding_count"`
	Findings []rowFindingJSON `json:"findings"`
}

type rowFindingJSON struct {
	Table   string `json:"table"`
	Key     string `json:"key"`
	Problem string `json:"problem"`
	Seq     int64  `json:"seq"`
	Detail  string `json:"detail"`
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	v, err := s.app.VerifyAudit(r.Context(), actor, app.FlagBreak())
	if err != nil {
		return err
	}
	j := verifyJSON{OK: v.OK, Events: v.Events, HeadSeq: v.Head.Seq, HeadHash: v.Head.Hash}
	if v.Break != nil {
		j.Break = &breakJSON{Seq: v.Break.Seq, Reason: v.Break.Reason}
	}
	j.Rows = rowsJSON{Checked: v.RowsChecked, Units: v.Units, Count: v.RowFindingCount, Findings: []rowFindingJSON{}}
	for _, f := range v.RowFindings {
		j.Rows.Findings = append(j.Rows.Findings, rowFindingJSON{Table: f.Table, Key: f.Key, Problem: string(f.Problem), Seq: f.Seq, Detail: f.String()})
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}
