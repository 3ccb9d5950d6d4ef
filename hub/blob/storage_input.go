package blob

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"

	"github.com/exporthub/exporthub/hub/hubtype"
	"github.com/exporthub/exporthub/internal/secretbox"
)

// Providers of organization storages (hubtype.Storage.Provider), named as
// Ango names them (imerit_ango StorageProvider).
const (
	// ProviderAWS is AWS S3 or any S3-compatible service (with an
	// endpoint).
	ProviderAWS = "AWS"
	// ProviderGCP is Google Cloud Storage, or a GCS-compatible server
	// (with an endpoint).
	ProviderGCP = "GCP"
	// ProviderAzure is Azure Blob Storage, or an Azure-compatible server
	// such as Azurite (with an endpoint).
	ProviderAzure = "AZURE"
)

// Credential types of organization storages (hubtype.Storage.CredentialType):
// what the sealed secret holds.
const (
	// CredentialAccessKey is an AWS access key id (AccessKey) and secret
	// key (sealed).
	CredentialAccessKey = "accessKey"
	// CredentialServiceAccount is a GCP service-account JSON key (sealed);
	// AccessKey holds its client_email.
	CredentialServiceAccount = "serviceAccount"
	// CredentialAccountKey is an Azure account name (AccessKey) and
	// account key (sealed).
	CredentialAccountKey = "accountKey"
	// CredentialSASToken is an Azure account name (AccessKey) and a SAS
	// token (sealed). A SAS token cannot sign narrower URLs, so such a
	// storage is always proxied.
	CredentialSASToken = "sasToken"
)

// ParseProvider returns the provider s names: AWS, GCP or AZURE in any
// case, or "s3" (the name of S3-compatible storages before there were
// providers), which is AWS. Errors are *FieldError for field provider.
func ParseProvider(s string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case ProviderAWS, "S3":
		return ProviderAWS, nil
	case ProviderGCP:
		return ProviderGCP, nil
	case ProviderAzure:
		return ProviderAzure, nil
	}
	return "", &FieldError{Field: "provider", Message: fmt.Sprintf("provider %q is not supported (AWS, GCP or AZURE)", s)}
}

// FieldError is an organization storage input refused: Field names the
// input field as the API spells it, Message says what is wrong in words
// that name it. It wraps ErrInvalidStorage.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// Unwrap returns ErrInvalidStorage.
func (e *FieldError) Unwrap() error { return ErrInvalidStorage }

// StorageInput is an organization storage as an admin enters it (API,
// CLI, web form): where the bucket is and its credentials in clear. Each
// provider takes its own credentials and refuses the others':
//
//   - AWS: AccessKey and SecretKey; Endpoint for S3-compatible services.
//   - GCP: Credentials, a service-account JSON key; Endpoint for
//     GCS-compatible servers.
//   - AZURE: AccountName and either AccountKey or SASToken (then Proxied
//     is required); Endpoint for Azure-compatible servers.
type StorageInput struct {
	// Provider is AWS, GCP or AZURE (see ParseProvider). Required.
	Provider string
	// Endpoint is the service URL; "" for the provider's public cloud.
	// AWS and GCP take http(s)://host[:port]; AZURE takes the blob
	// service URL, which may have a path (Azurite:
	// http://127.0.0.1:10000/devstoreaccount1).
	Endpoint string
	// Region defaults to DefaultS3Region for AWS; informational for the
	// others.
	Region string
	// Bucket is the bucket (AWS, GCP) or container (AZURE). Required.
	Bucket string
	// AccessKey and SecretKey are AWS credentials.
	AccessKey string
	SecretKey string
	// Credentials is a GCP service-account JSON key.
	Credentials string
	// AccountName and AccountKey or SASToken are Azure credentials.
	AccountName string
	AccountKey  string
	SASToken    string
	// Proxied makes the hub serve the storage's presigned URLs itself.
	Proxied bool
}

// NewStorage validates in for its provider and returns the storage record
// it describes, its secret sealed with box; the caller sets ID, OrgID and
// Name. It does no I/O (Service.CheckStorage asks the bucket). Errors are
// *FieldError.
func NewStorage(in *StorageInput, box *secretbox.Box) (*hubtype.Storage, error) {
	provider, err := ParseProvider(in.Provider)
	if err != nil {
		return nil, err
	}
	st := &hubtype.Storage{
		Provider: provider,
		Endpoint: strings.TrimRight(strings.TrimSpace(in.Endpoint), "/"),
		Region:   strings.TrimSpace(in.Region),
		Bucket:   strings.TrimSpace(in.Bucket),
		Proxied:  in.Proxied,
	}
	if st.Bucket == "" {
		what := "bucket is required"
		if provider == ProviderAzure {
			what += " (the container name)"
		}
		return nil, &FieldError{Field: "bucket", Message: what}
	}
	var secret string
	switch provider {
	case ProviderAWS:
		secret, err = awsInput(in, st)
	case ProviderGCP:
		secret, err = gcpInput(in, st)
	case ProviderAzure:
		secret, err = azureInput(in, st)
	}
	if err != nil {
		return nil, err
	}
	st.SecretKeyEnc = box.Seal([]byte(secret))
	return st, nil
}

// notFor refuses the first field of others that is set: fields of
// another provider's credentials.
func notFor(provider, want string, others map[string]string) error {
	for _, name := range []string{"accessKey", "secretKey", "credentials", "accountName", "accountKey", "sasToken"} {
		if v, ok := others[name]; ok && strings.TrimSpace(v) != "" {
			return &FieldError{Field: name, Message: fmt.Sprintf("%s is not used by %s storages (send %s)", name, provider, want)}
		}
	}
	return nil
}

func awsInput(in *StorageInput, st *hubtype.Storage) (string, error) {
	if err := notFor(ProviderAWS, "accessKey and secretKey", map[string]string{
		"credentials": in.Credentials, "accountName": in.AccountName, "accountKey": in.AccountKey, "sasToken": in.SASToken,
	}); err != nil {
		return "", err
	}
	st.AccessKey, st.CredentialType = strings.TrimSpace(in.AccessKey), CredentialAccessKey
	if st.Region == "" {
		st.Region = DefaultS3Region
	}
	switch {
	case st.AccessKey == "":
		return "", &FieldError{Field: "accessKey", Message: "accessKey is required"}
	case in.SecretKey == "":
		return "", &FieldError{Field: "secretKey", Message: "secretKey is required"}
	}
	if checkEndpoint(st.Endpoint) != nil {
		return "", &FieldError{Field: "endpoint", Message: fmt.Sprintf("endpoint %q must be an http(s) URL such as https://s3.example.com", st.Endpoint)}
	}
	return in.SecretKey, nil
}

func gcpInput(in *StorageInput, st *hubtype.Storage) (string, error) {
	if err := notFor(ProviderGCP, "credentials, the service account's JSON key", map[string]string{
		"accessKey": in.AccessKey, "secretKey": in.SecretKey, "accountName": in.AccountName, "accountKey": in.AccountKey, "sasToken": in.SASToken,
	}); err != nil {
		return "", err
	}
	creds := strings.TrimSpace(in.Credentials)
	if creds == "" {
		return "", &FieldError{Field: "credentials", Message: "credentials is required: the service account's JSON key"}
	}
	key, err := parseServiceAccountKey([]byte(creds))
	if err != nil {
		return "", &FieldError{Field: "credentials", Message: "credentials " + err.Error()}
	}
	st.AccessKey, st.CredentialType = key.ClientEmail, CredentialServiceAccount
	if checkEndpoint(st.Endpoint) != nil {
		return "", &FieldError{Field: "endpoint", Message: fmt.Sprintf("endpoint %q must be an http(s) URL such as http://127.0.0.1:4443", st.Endpoint)}
	}
	return creds, nil
}

func azureInput(in *StorageInput, st *hubtype.Storage) (string, error) {
	if err := notFor(ProviderAzure, "accountName with accountKey or sasToken", map[string]string{
		"accessKey": in.AccessKey, "secretKey": in.SecretKey, "credentials": in.Credentials,
	}); err != nil {
		return "", err
	}
	st.AccessKey = strings.TrimSpace(in.AccountName)
	key, sas := strings.TrimSpace(in.AccountKey), strings.TrimPrefix(strings.TrimSpace(in.SASToken), "?")
	switch {
	case st.AccessKey == "":
		return "", &FieldError{Field: "accountName", Message: "accountName is required"}
	case !isAzureAccountName(st.AccessKey):
		return "", &FieldError{Field: "accountName", Message: fmt.Sprintf("accountName %q must be 3 to 24 lower-case letters and digits", st.AccessKey)}
	case key == "" && sas == "":
		return "", &FieldError{Field: "accountKey", Message: "accountKey or sasToken is required"}
	case key != "" && sas != "":
		return "", &FieldError{Field: "sasToken", Message: "send accountKey or sasToken, not both"}
	}
	if err := checkAzureEndpoint(st.Endpoint); err != nil {
		return "", &FieldError{Field: "endpoint", Message: fmt.Sprintf("endpoint %q must be the blob service URL, such as https://%s.blob.core.windows.net", st.Endpoint, st.AccessKey)}
	}
	if key != "" {
		if _, err := base64.StdEncoding.DecodeString(key); err != nil {
			return "", &FieldError{Field: "accountKey", Message: "accountKey is not base64 (copy key1 or key2 of the storage account's access keys)"}
		}
		st.CredentialType = CredentialAccountKey
		return key, nil
	}
	if q, err := url.ParseQuery(sas); err != nil || q.Get("sig") == "" || q.Get("sv") == "" {
		return "", &FieldError{Field: "sasToken", Message: "sasToken must be a SAS query string holding sv= and sig="}
	}
	if !st.Proxied {
		return "", &FieldError{Field: "proxied", Message: "a storage with a sasToken must be proxied: a SAS token cannot sign the per-object URLs plugins get (set proxied, or send the accountKey)"}
	}
	st.CredentialType = CredentialSASToken
	return sas, nil
}

// isAzureAccountName reports whether s is a valid storage account name.
func isAzureAccountName(s string) bool {
	if len(s) < 3 || len(s) > 24 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// checkAzureEndpoint accepts "" (Azure's public cloud) or an http(s) URL
// with a host, an optional path and no query.
func checkAzureEndpoint(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an http(s) URL like https://account.blob.core.windows.net", s)
	}
	return nil
}

// serviceAccountKey is the part of a GCP service-account JSON key the hub
// uses.
type serviceAccountKey struct {
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	PrivateKey  string `json:"private_key"`
}

// parseServiceAccountKey checks a service-account JSON key: a JSON object
// of type service_account with a client_email and an RSA private key in
// PEM. The message of its error follows the word "credentials".
func parseServiceAccountKey(data []byte) (*serviceAccountKey, error) {
	var k serviceAccountKey
	if err := json.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("is not a JSON key: %v", err)
	}
	switch {
	case k.Type != "service_account":
		return nil, fmt.Errorf(`is a %q key; GCP storages need a service-account key ("type": "service_account")`, k.Type)
	case k.ClientEmail == "":
		return nil, fmt.Errorf("has no client_email")
	case k.PrivateKey == "":
		return nil, fmt.Errorf("has no private_key")
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return nil, fmt.Errorf("private_key is not in PEM form")
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if _, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 != nil {
			return nil, fmt.Errorf("private_key is not an RSA private key: %v", err)
		}
	}
	return &k, nil
}
