package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/internal/hubclient"
)

func init() { register(newStorageCommand) }

func newStorageCommand(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Add, list, show and delete the organization's own storages (AWS, GCP, AZURE)",
	}
	cf := addClientFlags(cmd)
	cmd.AddCommand(
		newStorageCreateCommand(s, cf),
		newStorageListCommand(s, cf),
		newStorageShowCommand(s, cf),
		newStorageDeleteCommand(s, cf),
	)
	return cmd
}

// readSecretFlag returns a secret flag's value: the text, or @FILE for a
// file's content ("@-" reads stdin), without a trailing newline.
func readSecretFlag(in io.Reader, flag, v string) (string, error) {
	name, ok := strings.CutPrefix(v, "@")
	if !ok {
		return v, nil
	}
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(in)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return "", fmt.Errorf("read --%s: %w", flag, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func newStorageCreateCommand(s IO, cf *clientFlags) *cobra.Command {
	var req hubapi.StorageCreateRequest
	var credentials string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Add a storage and check that the hub can write to its bucket",
		Long: `Add an organization storage. Each provider takes its own credentials:

  AWS (default; any S3-compatible service with --endpoint):
    --access-key AK --secret-key SK
  GCP (Google Cloud Storage; --endpoint for a GCS-compatible server):
    --credentials @service-account-key.json
  AZURE (Azure Blob; --bucket is the container; --endpoint for Azurite):
    --account-name NAME --account-key KEY, or --sas-token TOKEN --proxied

Secrets are sealed with the hub key and never shown again; --secret-key,
--credentials, --account-key and --sas-token take @FILE (or @- for stdin)
to keep them out of the shell history. Unless --skip-check, the hub first
writes and deletes a small object in the bucket.`,
		Args: cobra.NoArgs,
		RunE: cf.runE(func(cmd *cobra.Command, _ []string, c *hubclient.Client) error {
			in := cmd.InOrStdin()
			for _, f := range []struct {
				name string
				v    *string
			}{{"secret-key", &req.SecretKey}, {"credentials", &credentials}, {"account-key", &req.AccountKey}, {"sas-token", &req.SASToken}} {
				v, err := readSecretFlag(in, f.name, *f.v)
				if err != nil {
					return err
				}
				*f.v = v
			}
			if credentials != "" {
				raw, err := json.Marshal(credentials)
				if err != nil {
					return err
				}
				req.Credentials = raw
			}
			st, err := c.CreateStorage(cmd.Context(), &req)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s.Out, st)
			}
			fmt.Fprintln(s.Out, st.ID)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&req.Name, "name", "", "storage name (required)")
	fl.StringVar(&req.Provider, "provider", "AWS", "AWS, GCP or AZURE")
	fl.StringVar(&req.Bucket, "bucket", "", "bucket, or Azure container (required)")
	fl.StringVar(&req.Endpoint, "endpoint", "", "service URL of a compatible server (default: the provider's cloud)")
	fl.StringVar(&req.Region, "region", "", "region (AWS default us-east-1)")
	fl.StringVar(&req.AccessKey, "access-key", "", "AWS access key id")
	fl.StringVar(&req.SecretKey, "secret-key", "", "AWS secret key, or @FILE")
	fl.StringVar(&credentials, "credentials", "", "GCP service-account JSON key, or @FILE")
	fl.StringVar(&req.AccountName, "account-name", "", "Azure storage account name")
	fl.StringVar(&req.AccountKey, "account-key", "", "Azure account key, or @FILE")
	fl.StringVar(&req.SASToken, "sas-token", "", "Azure SAS token (needs --proxied), or @FILE")
	fl.BoolVar(&req.Proxied, "proxied", false, "serve the storage's presigned URLs through the hub")
	fl.BoolVar(&req.SkipCheck, "skip-check", false, "store it without checking the bucket")
	fl.BoolVar(&asJSON, "json", false, "print the storage as JSON")
	_ = cmd.MarkFlagRequired("name") // the flag exists; MarkFlagRequired cannot fail
	return cmd
}

func newStorageListCommand(s IO, cf *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's storages (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: cf.runE(func(cmd *cobra.Command, _ []string, c *hubclient.Client) error {
			list, err := c.ListStorages(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s.Out, list)
			}
			tw := newTable(s.Out)
			fmt.Fprintln(tw, "ID\tNAME\tPROVIDER\tBUCKET\tENDPOINT\tURLS")
			for _, st := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.ID, st.Name, st.Provider, st.Bucket, orDash(st.Endpoint), storageURLs(st))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newStorageShowCommand(s IO, cf *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show STORAGE",
		Short: "Show a storage (never its secret)",
		Args:  cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			st, err := c.GetStorage(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s.Out, st)
			}
			tw := newTable(s.Out)
			for _, kv := range [][2]string{{"id", st.ID}, {"name", st.Name}, {"provider", st.Provider}, {"bucket", st.Bucket},
				{"endpoint", orDash(st.Endpoint)}, {"region", orDash(st.Region)}, {"credential", st.CredentialType + " " + st.AccessKey},
				{"URLs", storageURLs(st)}} {
				fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newStorageDeleteCommand(_ IO, cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete STORAGE",
		Short: "Delete a storage (the objects in its bucket are left alone)",
		Args:  cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			return c.DeleteStorage(cmd.Context(), args[0])
		}),
	}
}

// storageURLs says who serves a storage's presigned URLs.
func storageURLs(st *hubapi.StorageResponse) string {
	if st.Proxied {
		return "through the hub"
	}
	return "the storage's own"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
