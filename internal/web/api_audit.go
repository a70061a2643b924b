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
}

type breakJSON struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
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
	writeJSON(w, http.StatusOK, j)
	return nil
}
