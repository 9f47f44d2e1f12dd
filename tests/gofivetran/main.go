// Command gofivetran-compat drives a Fivetran API (normally the local emulator in fivetran_emulator/)
// through Fivetran's own Go SDK, github.com/fivetran/go-fivetran v1.3.5 (the version Fivetran's
// Terraform provider uses), and decodes every reply with the SDK's own types.
//
//	gofivetran-compat -url http://127.0.0.1:PORT/v1 -key dev-key -secret dev-secret \
//	    -group warehouse_main [-skip "metadata,schema details"] [-debug]
//
// It walks one iterable connection through its life (create, details, update, setup tests, list, sync,
// Connect Card, metadata, schema details, re-sync of one table, delete) and prints one line per step:
//
//	ok <step>
//	FAIL <step>: <reason>
//	skip <step>
//
// A step fails when the SDK returns an error (transport, JSON decoding or an unexpected HTTP status),
// when the reply's `code` is not the documented one, or when decoded fields differ from what was sent.
// The exit status is 1 if any step failed, 2 for bad arguments. Lines starting with "#" are comments.
//
// Paths the SDK v1.3.5 calls (relative to the base URL):
//
//	create          POST   /connections
//	details         GET    /connections/{id}              (Accept: application/json;version=2)
//	update          PATCH  /connections/{id}
//	setup tests     POST   /connections/{id}/test          (body {})
//	list            GET    /connections, /connections?group_id=..., /groups/{group}/connections
//	sync            POST   /connections/{id}/force         (no body, Content-Type: application/json)
//	connect card    POST   /connectors/{id}/connect-card  (legacy spelling, the only one v1.3.5 has)
//	metadata        GET    /metadata/connector-types/iterable
//	schema details  GET    /connections/{id}/schemas
//	resync table    POST   /connections/{id}/schemas/iterable/tables/event/resync   (no body, 200 expected)
//	delete          DELETE /connections/{id}, then GET /connections/{id} must answer 404
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"

	fivetran "github.com/fivetran/go-fivetran"
	"github.com/fivetran/go-fivetran/common"
	"github.com/fivetran/go-fivetran/connections"
	httputils "github.com/fivetran/go-fivetran/http_utils"
)

// The order in which the steps run; also the names -skip accepts.
var stepNames = []string{
	"create", "details", "update", "setup tests", "list", "sync",
	"connect card", "metadata", "schema details", "resync table", "delete",
}

const (
	iterableKey = "itbl-go-compat-key"
	redirectURI = "https://example.com/done"
	stepTimeout = 30 * time.Second
)

// compat holds the client, the settings and what earlier steps learnt (the connection id).
type compat struct {
	client *fivetran.Client
	group  string
	schema string
	id     string // set by a successful create
	skip   map[string]bool
	failed int
}

func main() {
	baseURL := flag.String("url", "", "base URL of the API, ending in /v1 (e.g. http://127.0.0.1:8080/v1)")
	key := flag.String("key", "dev-key", "Fivetran API key")
	secret := flag.String("secret", "dev-secret", "Fivetran API secret")
	group := flag.String("group", "warehouse_main", "destination group id to create the connection in")
	skip := flag.String("skip", "", "comma-separated step names to skip (e.g. \"metadata,schema details\")")
	debug := flag.Bool("debug", false, "let the SDK print every request and response (credentials omitted)")
	flag.Parse()
	if *baseURL == "" {
		fmt.Fprintln(os.Stderr, "usage: gofivetran-compat -url http://HOST:PORT/v1 [-key K -secret S -group G -skip a,b]")
		os.Exit(2)
	}

	c := &compat{
		client: fivetran.New(*key, *secret),
		group:  *group,
		// Unique per run, so a persistent emulator (or a real account) never answers 409 Conflict.
		schema: fmt.Sprintf("iterable_gocompat_%d_%d", time.Now().Unix(), os.Getpid()%100000),
		skip:   map[string]bool{},
	}
	// BaseURL replaces https://api.fivetran.com/v1 as a whole; the SDK appends "/connections" etc.
	c.client.BaseURL(strings.TrimRight(*baseURL, "/"))
	// The SDK's default http.Client has no timeout; a hung server should fail a step, not the test run.
	c.client.SetHttpClient(&http.Client{Timeout: stepTimeout})
	httputils.Debug(*debug)
	for _, name := range strings.Split(*skip, ",") {
		if name = normalise(name); name != "" {
			if !contains(stepNames, name) {
				fmt.Fprintf(os.Stderr, "unknown step %q in -skip; steps: %s\n", name, strings.Join(stepNames, ", "))
				os.Exit(2)
			}
			c.skip[name] = true
		}
	}

	fmt.Printf("# go-fivetran v1.3.5 against %s, group %s, schema %s\n", *baseURL, c.group, c.schema)
	steps := map[string]func(context.Context) error{
		"create": c.create, "details": c.details, "update": c.update, "setup tests": c.setupTests,
		"list": c.list, "sync": c.sync, "connect card": c.connectCard, "metadata": c.metadata,
		"schema details": c.schemaDetails, "resync table": c.resyncTable, "delete": c.delete,
	}
	for _, name := range stepNames {
		c.run(name, steps[name])
	}
	if c.failed > 0 {
		fmt.Printf("# %d step(s) failed\n", c.failed)
		os.Exit(1)
	}
}

// run executes one step with its own deadline and prints its verdict line.
func (c *compat) run(name string, step func(context.Context) error) {
	if c.skip[name] {
		fmt.Printf("skip %s\n", name)
		return
	}
	// Every step but metadata works on the connection made by create.
	if c.id == "" && name != "create" && name != "metadata" {
		c.failed++
		fmt.Printf("FAIL %s: no connection to work on (create failed)\n", name)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := step(ctx); err != nil {
		c.failed++
		fmt.Printf("FAIL %s: %s\n", name, strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	fmt.Printf("ok %s\n", name)
}

// --- the steps ------------------------------------------------------------------------------------------

// create: POST /connections with an iterable config the SDK's typed ConnectionConfig cannot express
// (it has no account_region, events or historical_sync_limit), so through ConfigCustom + DoCustom.
func (c *compat) create(ctx context.Context) error {
	config := map[string]interface{}{
		"schema":                     c.schema,
		"api_key":                    iterableKey,
		"account_region":             "EU",
		"sync_mode":                  "SelectedEvents",
		"events":                     []string{"emailSend", "emailOpen"},
		"historical_sync_limit":      "DATE_LIMIT",
		"historical_sync_limit_date": "2024-01-01",
	}
	resp, err := c.client.NewConnectionCreate().
		Service("iterable").
		GroupID(c.group).
		SyncFrequency(intPtr(60)).
		Paused(false). // *bool with omitempty: a pointer to false is still sent
		RunSetupTests(true).
		ConfigCustom(&config).
		DoCustom(ctx)
	if err != nil {
		return sdkError(err, resp.CommonResponse)
	}
	c.id = resp.Data.ID
	fmt.Printf("# created connection %s\n", c.id)
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.nonEmpty("id", resp.Data.ID)
	ch.commonFields(resp.Data.DetailsResponseDataCommon, "iterable", c.schema, c.group, 60, false)
	ch.eq("status.setup_state", resp.Data.Status.SetupState, "connected")
	ch.setupTestsPassed(resp.Data.SetupTests)
	ch.iterableConfig(resp.Data.Config, "SelectedEvents", []string{"emailSend", "emailOpen"})
	return ch.err()
}

// details: GET /connections/{id} through DoCustomMerged, which decodes config twice: into the typed
// ConnectionConfigResponse (sync_mode, api_key, endpoint) and the rest into a map.
func (c *compat) details(ctx context.Context) error {
	resp, err := c.client.NewConnectionDetails().ConnectionID(c.id).DoCustomMerged(ctx)
	if err != nil {
		return sdkError(err, resp.CommonResponse)
	}
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.eq("id", resp.Data.ID, c.id)
	ch.commonFields(resp.Data.DetailsResponseDataCommon, "iterable", c.schema, c.group, 60, false)
	ch.eq("status.setup_state", resp.Data.Status.SetupState, "connected")
	ch.eq("config.sync_mode (typed)", resp.Data.Config.SyncMode, "SelectedEvents")
	ch.eq("config.api_key (typed)", resp.Data.Config.APIKey, "******")
	ch.httpsURL("config.endpoint (typed)", resp.Data.Config.Endpoint, "")
	custom := resp.Data.CustomConfig
	ch.eq("config.account_region", custom["account_region"], "EU")
	ch.eq("config.events", custom["events"], anyList("emailSend", "emailOpen"))
	ch.eq("config.historical_sync_limit", custom["historical_sync_limit"], "DATE_LIMIT")
	ch.eq("config.historical_sync_limit_date", custom["historical_sync_limit_date"], "2024-01-01")
	return ch.err()
}

// update: PATCH /connections/{id}; the config is merged by key, so sync_mode and account_region stay.
func (c *compat) update(ctx context.Context) error {
	config := map[string]interface{}{"events": []string{"emailClick"}}
	resp, err := c.client.NewConnectionUpdate().
		ConnectionID(c.id).
		SyncFrequency(intPtr(360)).
		Paused(true).
		RunSetupTests(false).
		ConfigCustom(&config).
		DoCustom(ctx)
	if err != nil {
		return sdkError(err, resp.CommonResponse)
	}
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.eq("id", resp.Data.ID, c.id)
	ch.commonFields(resp.Data.DetailsResponseDataCommon, "iterable", c.schema, c.group, 360, true)
	ch.eq("status.setup_state", resp.Data.Status.SetupState, "connected")
	ch.iterableConfig(resp.Data.Config, "SelectedEvents", []string{"emailClick"})
	return ch.err()
}

// setup tests: POST /connections/{id}/test; the reply is the connection with fresh setup_tests.
func (c *compat) setupTests(ctx context.Context) error {
	resp, err := c.client.NewConnectionSetupTests().ConnectionID(c.id).DoCustom(ctx)
	if err != nil {
		return sdkError(err, resp.CommonResponse)
	}
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.eq("id", resp.Data.ID, c.id)
	ch.commonFields(resp.Data.DetailsResponseDataCommon, "iterable", c.schema, c.group, 360, true)
	ch.eq("status.setup_state", resp.Data.Status.SetupState, "connected")
	ch.setupTestsPassed(resp.Data.SetupTests)
	ch.eq("config.events", resp.Data.Config["events"], anyList("emailClick"))
	return ch.err()
}

// list: GET /connections (all, following next_cursor), GET /connections?group_id=, and
// GET /groups/{group}/connections; ours must be in each with the updated fields.
func (c *compat) list(ctx context.Context) error {
	ch := &checks{}
	for _, inGroup := range []bool{false, true} {
		label := "GET /connections"
		if inGroup {
			label += "?group_id=" + c.group
		}
		var found *connections.DetailsResponseDataCommon
		cursor := ""
		for page := 0; page < 100 && found == nil; page++ {
			svc := c.client.NewConnectionsList().Limit(100)
			if inGroup {
				svc.GroupID(c.group)
			}
			if cursor != "" {
				svc.Cursor(cursor)
			}
			resp, err := svc.Do(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", label, sdkError(err, resp.CommonResponse))
			}
			ch.eq(label+" code", resp.Code, "Success")
			found = findByID(resp.Data.Items, c.id)
			if cursor = resp.Data.NextCursor; cursor == "" {
				break
			}
		}
		ch.listed(label, found, c)
	}

	label := "GET /groups/" + c.group + "/connections"
	resp, err := c.client.NewGroupListConnections().GroupID(c.group).Do(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", label, sdkError(err, resp.CommonResponse))
	}
	ch.eq(label+" code", resp.Code, "Success")
	ch.listed(label, findByID(resp.Data.Items, c.id), c)
	return ch.err()
}

// sync: v1.3.5's ConnectionSyncService posts to the legacy /connections/{id}/force with no body.
func (c *compat) sync(ctx context.Context) error {
	resp, err := c.client.NewConnectionSync().ConnectionID(c.id).Do(ctx)
	if err != nil {
		return sdkError(err, resp)
	}
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.nonEmpty("message", resp.Message)
	return ch.err()
}

// connect card: v1.3.5 only has the connector spelling, POST /connectors/{id}/connect-card, and decodes
// data.connector_id (not connection_id).
func (c *compat) connectCard(ctx context.Context) error {
	config := fivetran.NewConnectCardConfig().RedirectUri(redirectURI).HideSetupGuide(true)
	resp, err := c.client.NewConnectCard().ConnectorId(c.id).Config(config).Do(ctx)
	if err != nil {
		return sdkError(err, common.CommonResponse{Code: resp.Code, Message: resp.Message})
	}
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.eq("data.connector_id", resp.Data.ConnectorId, c.id)
	ch.nonEmpty("connect_card.token", resp.Data.ConnectCard.Token)
	ch.httpsURL("connect_card.uri", resp.Data.ConnectCard.Uri, "auth")
	if tok := resp.Data.ConnectCard.Token; tok != "" && !strings.Contains(resp.Data.ConnectCard.Uri, tok) {
		ch.add("connect_card.uri %q does not carry the token", resp.Data.ConnectCard.Uri)
	}
	ch.eq("connect_card_config.redirect_uri", resp.Data.ConnectCardConfig.RedirectUri, redirectURI)
	ch.eq("connect_card_config.hide_setup_guide", resp.Data.ConnectCardConfig.HideSetupGuide, true)
	return ch.err()
}

// metadata: GET /metadata/connector-types/iterable, decoded into metadata.ConnectorMetadata whose
// config is a JSON-schema-like Property tree.
func (c *compat) metadata(ctx context.Context) error {
	resp, err := c.client.NewMetadataDetails().Service("iterable").Do(ctx)
	if err != nil {
		return sdkError(err, resp.CommonResponse)
	}
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.eq("id", resp.Data.ID, "iterable")
	ch.nonEmpty("name", resp.Data.Name)
	for _, field := range []string{"schema", "api_key", "account_region"} {
		if resp.Data.Config.Properties[field] == nil {
			ch.add("config.properties has no %q", field)
		}
	}
	return ch.err()
}

// schema details: GET /connections/{id}/schemas; an iterable connection has one schema with tables.
func (c *compat) schemaDetails(ctx context.Context) error {
	resp, err := c.client.NewConnectionSchemaDetails().ConnectionID(c.id).Do(ctx)
	if err != nil {
		return sdkError(err, resp.CommonResponse)
	}
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.nonEmpty("schema_change_handling", resp.Data.SchemaChangeHandling)
	tables := 0
	for _, schema := range resp.Data.Schemas {
		if schema != nil {
			tables += len(schema.Tables)
		}
	}
	if len(resp.Data.Schemas) == 0 || tables == 0 {
		ch.add("schemas: %d schema(s) with %d table(s), want at least one of each", len(resp.Data.Schemas), tables)
	}
	return ch.err()
}

// resync table: v1.3.5's ResyncTable posts to the per-table path with no body and decodes {code, message}.
// The source schema was read by the sync step, so the table exists.
func (c *compat) resyncTable(ctx context.Context) error {
	resp, err := c.client.NewConnectionReSyncTable().ConnectionID(c.id).Schema("iterable").Table("event").Do(ctx)
	if err != nil {
		return sdkError(err, resp)
	}
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.nonEmpty("message", resp.Message)
	return ch.err()
}

// delete: DELETE /connections/{id}; afterwards details must fail with 404 and a NotFound code.
func (c *compat) delete(ctx context.Context) error {
	resp, err := c.client.NewConnectionDelete().ConnectionID(c.id).Do(ctx)
	if err != nil {
		return sdkError(err, resp)
	}
	ch := &checks{}
	ch.eq("code", resp.Code, "Success")
	ch.nonEmpty("message", resp.Message)

	after, err := c.client.NewConnectionDetails().ConnectionID(c.id).Do(ctx)
	switch {
	case err == nil:
		ch.add("GET /connections/%s after delete succeeded (code %q)", c.id, after.Code)
	case !strings.Contains(err.Error(), "status code: 404"):
		ch.add("GET after delete: want a 404, got %v", sdkError(err, after.CommonResponse))
	case !strings.HasPrefix(after.Code, "NotFound"):
		ch.add("GET after delete: 404 with code %q, want NotFound...", after.Code)
	}
	return ch.err()
}

// --- checking helpers -----------------------------------------------------------------------------------

// checks collects every mismatch of a step, so one FAIL line names them all.
type checks struct{ problems []string }

func (ch *checks) add(format string, args ...interface{}) {
	ch.problems = append(ch.problems, fmt.Sprintf(format, args...))
}

func (ch *checks) err() error {
	if len(ch.problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(ch.problems, "; "))
}

// eq compares with reflect.DeepEqual; values decoded into interface{} are float64, string, []interface{}.
func (ch *checks) eq(what string, got, want interface{}) {
	if !reflect.DeepEqual(got, want) {
		ch.add("%s = %#v, want %#v", what, got, want)
	}
}

func (ch *checks) nonEmpty(what, got string) {
	if got == "" {
		ch.add("%s is empty", what)
	}
}

// httpsURL checks that got parses as an absolute https URL, with the query parameter param if given.
func (ch *checks) httpsURL(what, got, param string) {
	u, err := url.Parse(got)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "":
		ch.add("%s = %q, want an https URL", what, got)
	case param != "" && u.Query().Get(param) == "":
		ch.add("%s = %q has no %s= parameter", what, got, param)
	}
}

// commonFields checks the top-level fields every connection reply carries.
func (ch *checks) commonFields(d connections.DetailsResponseDataCommon, service, schema, group string,
	frequency int, paused bool) {
	ch.eq("service", d.Service, service)
	ch.eq("schema", d.Schema, schema)
	ch.eq("group_id", d.GroupID, group)
	ch.eq("sync_frequency", deref(d.SyncFrequency), frequency)
	ch.eq("paused", deref(d.Paused), paused)
	if d.CreatedAt.IsZero() {
		ch.add("created_at did not decode to a time")
	}
	ch.nonEmpty("connected_by", d.ConnectedBy)
	ch.nonEmpty("status.sync_state", d.Status.SyncState)
}

// iterableConfig checks the config map of a create/update reply.
func (ch *checks) iterableConfig(config map[string]interface{}, syncMode string, events []string) {
	ch.eq("config.api_key", config["api_key"], "******")
	ch.eq("config.account_region", config["account_region"], "EU")
	ch.eq("config.sync_mode", config["sync_mode"], syncMode)
	ch.eq("config.events", config["events"], anyList(events...))
	ch.eq("config.historical_sync_limit", config["historical_sync_limit"], "DATE_LIMIT")
	ch.eq("config.historical_sync_limit_date", config["historical_sync_limit_date"], "2024-01-01")
	endpoint, _ := config["endpoint"].(string)
	ch.httpsURL("config.endpoint", endpoint, "")
}

func (ch *checks) setupTestsPassed(tests []common.SetupTestResponse) {
	if len(tests) == 0 {
		ch.add("setup_tests is empty")
	}
	for _, t := range tests {
		if t.Status != "PASSED" || t.Title == "" {
			ch.add("setup test %q: status %q message %q, want PASSED", t.Title, t.Status, t.Message)
		}
	}
}

// listed checks the list item of our connection (lists carry no config and no setup_tests).
func (ch *checks) listed(label string, item *connections.DetailsResponseDataCommon, c *compat) {
	if item == nil {
		ch.add("%s: connection %s not listed", label, c.id)
		return
	}
	sub := &checks{}
	sub.commonFields(*item, "iterable", c.schema, c.group, 360, true)
	for _, p := range sub.problems {
		ch.add("%s: %s", label, p)
	}
}

// sdkError adds the decoded error body to the SDK's error: for a non-2xx status the SDK has already
// decoded {"code", "message"} into the response before it returns "status code: X; expected: Y".
func sdkError(err error, resp common.CommonResponse) error {
	if resp.Code == "" && resp.Message == "" {
		return err
	}
	return fmt.Errorf("%v (code %q, message %q)", err, resp.Code, resp.Message)
}

func findByID(items []connections.DetailsResponseDataCommon, id string) *connections.DetailsResponseDataCommon {
	for i := range items {
		if items[i].ID == id {
			return &items[i]
		}
	}
	return nil
}

// --- small utilities ------------------------------------------------------------------------------------

func intPtr(v int) *int { return &v }

// deref shows a nil pointer as "<nil>" so a missing field is reported, not confused with a zero value.
func deref[T any](p *T) interface{} {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// anyList is how encoding/json decodes a JSON array of strings into interface{}.
func anyList(values ...string) []interface{} {
	out := make([]interface{}, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

// normalise lets -skip accept "setup tests", "setup-tests" and "setup_tests".
func normalise(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	return strings.NewReplacer("-", " ", "_", " ").Replace(name)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
