// Package ingest reads what other tools send: one parser per alert source
// (Alertmanager, PagerDuty, Opsgenie, Grafana, the generic JSON) and per
// deploy source (GitHub), each turning a delivery's bytes into values of
// this package that the app stores. Parsers are pure: they verify and
// decode, and never touch the database or the network.
package ingest
