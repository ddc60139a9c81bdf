package scenario

// Connection is where a scenario's call gets its credentials: the same
// sources as webcall call, one field per flag. Empty fields are not set,
// which leaves them to the runner's own flags and environment.
//
// Token and APISecret (and APIKey with Provider "hms", which is then the
// provider's key) are secrets: Load only accepts them from the environment
// (${VAR}) or from a file (token_file, api_secret_file), which it reads
// into the field, so a scenario file can be committed as it is.
type Connection struct {
	URL       string
	Token     string
	APIKey    string
	APISecret string

	Room                string
	Identity            string
	Name                string
	ParticipantMetadata string
	Attributes          []string
	AgentName           string
	AgentMetadata       string

	TokenEndpoint string
	Headers       []string
	Data          string

	Provider          string
	APIBase           string
	APIKeyFile        string
	AssistantID       string
	AssistantOverride string
	Assistant         string
	Metadata          []string

	// TokenFile and APISecretFile are the files Token and APISecret were
	// read from, resolved against the scenario's directory; kept to name
	// them in messages.
	TokenFile     string
	APISecretFile string
}

// Flag is a flag of webcall call and its value.
type Flag struct {
	Name  string
	Value string
}

// Flags are the connection as webcall call's flags, in a fixed order, a
// repeatable flag once per value, so a command can apply them with
// pflag's FlagSet.Set (which appends to a repeatable flag). The values
// include secrets: never print them unredacted.
func (c *Connection) Flags() []Flag {
	var out []Flag
	for _, k := range connectionKeys {
		if k.list != nil {
			for _, v := range *k.list(c) {
				out = append(out, Flag{k.flag, v})
			}
			continue
		}
		if v := *k.field(c); v != "" {
			out = append(out, Flag{k.flag, v})
		}
	}
	return out
}

// connectionKey ties a key of the file to its field and to webcall call's
// flag, so the decoder, Flags and the documentation's list agree.
type connectionKey struct {
	key, flag string
	field     func(*Connection) *string
	list      func(*Connection) *[]string
	// secret keys only take ${VAR} (see checkSecret).
	secret bool
	// path keys name a file, resolved against the scenario's directory;
	// atFile keys take either a value or @FILE, as their flags do.
	path, atFile bool
}

var connectionKeys = []connectionKey{
	{key: "url", flag: "url", field: func(c *Connection) *string { return &c.URL }},
	{key: "token", flag: "token", field: func(c *Connection) *string { return &c.Token }, secret: true},
	{key: "api_key", flag: "api-key", field: func(c *Connection) *string { return &c.APIKey }},
	{key: "api_secret", flag: "api-secret", field: func(c *Connection) *string { return &c.APISecret }, secret: true},
	{key: "room", flag: "room", field: func(c *Connection) *string { return &c.Room }},
	{key: "identity", flag: "identity", field: func(c *Connection) *string { return &c.Identity }},
	{key: "name", flag: "name", field: func(c *Connection) *string { return &c.Name }},
	{key: "participant_metadata", flag: "participant-metadata", field: func(c *Connection) *string { return &c.ParticipantMetadata }},
	{key: "attributes", flag: "attribute", list: func(c *Connection) *[]string { return &c.Attributes }},
	{key: "agent_name", flag: "agent-name", field: func(c *Connection) *string { return &c.AgentName }},
	{key: "agent_metadata", flag: "agent-metadata", field: func(c *Connection) *string { return &c.AgentMetadata }},
	{key: "token_endpoint", flag: "token-endpoint", field: func(c *Connection) *string { return &c.TokenEndpoint }},
	{key: "headers", flag: "header", list: func(c *Connection) *[]string { return &c.Headers }},
	{key: "data", flag: "data", field: func(c *Connection) *string { return &c.Data }, atFile: true},
	{key: "provider", flag: "provider", field: func(c *Connection) *string { return &c.Provider }},
	{key: "api_base", flag: "api-base", field: func(c *Connection) *string { return &c.APIBase }},
	{key: "api_key_file", flag: "api-key-file", field: func(c *Connection) *string { return &c.APIKeyFile }, path: true},
	{key: "assistant_id", flag: "assistant-id", field: func(c *Connection) *string { return &c.AssistantID }},
	{key: "assistant_override", flag: "assistant-override", field: func(c *Connection) *string { return &c.AssistantOverride }, atFile: true},
	{key: "assistant", flag: "assistant", field: func(c *Connection) *string { return &c.Assistant }, atFile: true},
	{key: "metadata", flag: "metadata", list: func(c *Connection) *[]string { return &c.Metadata }},
}

// secretFileKeys are read into a secret field; webcall call has no flag
// for them, so they are not in connectionKeys.
var secretFileKeys = map[string]string{
	"token_file":      "token",
	"api_secret_file": "api_secret",
}
