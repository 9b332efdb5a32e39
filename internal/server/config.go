// Package server assembles the stratus process: configuration, store, blob
// store, services, routes and a clean shutdown.
package server

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stratus-iaas/stratus/internal/objectstore"
)

// Config is every option of `stratus serve`. Precedence, lowest first:
// defaults, --config file, STRATUS_* environment, command-line flags.
type Config struct {
	DataDir   string `yaml:"data_dir"`
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
	Database  string `yaml:"database"`
	// Blob is where image and object bytes go: "" for the data dir, or
	// s3://BUCKET[/PREFIX]?endpoint=URL (internal/blob/s3blob).
	Blob string `yaml:"blob"`
	// S3 credentials when Blob is s3:// (the AWS_* environment variables
	// otherwise); only in the config file, never as flags.
	S3AccessKey   string        `yaml:"s3_access_key"`
	S3SecretKey   string        `yaml:"s3_secret_key"`
	S3Region      string        `yaml:"s3_region"`
	AdminPassword string        `yaml:"admin_password"`
	Region        string        `yaml:"region"`
	TokenTTL      time.Duration `yaml:"token_ttl"`
	BcryptCost    int           `yaml:"bcrypt_cost"`
	ImageSizeCap  int64         `yaml:"image_size_cap"`
	LogLevel      string        `yaml:"log_level"`
	LogFormat     string        `yaml:"log_format"`
	// CredentialKeyFile holds the key credential blobs are encrypted with
	// ("" is DATA_DIR/credential.key); nodes sharing a database share it.
	CredentialKeyFile string `yaml:"credential_key_file"`
	// CloudAdmin says where the admin role makes a cloud admin:
	// "admin-project" (the admin project or system scope, the default) or
	// "any-project" (Keystone's legacy default policy, for conformance
	// suites whose admin accounts are project admins of fresh projects).
	CloudAdmin string `yaml:"cloud_admin"`
	// TempURLMethods are the methods a Swift temp URL may be signed for.
	TempURLMethods string `yaml:"tempurl_methods"`
	// MetricsListen serves /metrics on its own listener, without a token;
	// empty serves it on Listen to cloud admins only.
	MetricsListen string `yaml:"metrics_listen"`
	// BodyMinRate is the average rate (bytes/s) a request body must keep
	// after a 60 s grace; 0 disables the bound.
	BodyMinRate int64 `yaml:"body_min_rate"`
	// Durable jobs (internal/job).
	JobWorkers        int           `yaml:"job_workers"`
	JobProjectWorkers int           `yaml:"job_project_workers"`
	JobRetention      time.Duration `yaml:"job_retention"`
	JobLease          time.Duration `yaml:"job_lease"`
	// Imports (Glance import, K5 vmimport, SCP import).
	ImportConvert   string `yaml:"image_import_convert"`
	ImportMaxActive int    `yaml:"import_max_active"`
	ExportSizeCap   int64  `yaml:"export_size_cap"`
	// ExportSegmentSize is the segment size of K5 exports written as SLOs.
	ExportSegmentSize int64  `yaml:"export_segment_size"`
	WebDownloadPorts  string `yaml:"web_download_allowed_ports"`
	WebDownloadHosts  string `yaml:"web_download_allowed_hosts"`
	// Block storage: where volume bytes live ("local" files in VolumeDir,
	// default DATA_DIR/volumes, or "blob" objects in the blob store) and
	// the availability zone of this node's volumes.
	VolumeBackend    string `yaml:"volume_backend"`
	VolumeDir        string `yaml:"volume_dir"`
	AvailabilityZone string `yaml:"availability_zone"`
	// KeyAlgorithm is what generated key pairs use (rsa or ed25519).
	KeyAlgorithm string `yaml:"key_algorithm"`
	// Compute: the hypervisor driver and its settings, the compute hosts
	// (name[@zone][:vcpus:ram_mb:disk_gb], comma separated) and the disk
	// format of server snapshots.
	Hypervisor         string `yaml:"hypervisor"`
	HypervisorSettings string `yaml:"hypervisor_settings"`
	ComputeHosts       string `yaml:"compute_hosts"`
	SnapshotFormat     string `yaml:"snapshot_format"`
	// ComputeDriver is another name of Hypervisor (the QEMU issue's).
	ComputeDriver string `yaml:"compute_driver"`
	// Overcommit: a host offers its vCPUs, memory and disk times these to
	// the scheduler (Nova's cpu/ram/disk_allocation_ratio defaults).
	CPUAllocationRatio  float64 `yaml:"cpu_allocation_ratio"`
	RAMAllocationRatio  float64 `yaml:"ram_allocation_ratio"`
	DiskAllocationRatio float64 `yaml:"disk_allocation_ratio"`
}

// Defaults are what `stratus serve` uses with no configuration at all.
func Defaults() Config {
	return Config{
		DataDir:      "./stratus-data",
		Listen:       "127.0.0.1:5000",
		Region:       "RegionOne",
		TokenTTL:     12 * time.Hour,
		BcryptCost:   12,
		ImageSizeCap: 1 << 40,
		LogLevel:     "info",
		LogFormat:    "text",
		CloudAdmin:   "admin-project",

		TempURLMethods:    "GET HEAD PUT POST DELETE",
		BodyMinRate:       1024,
		JobWorkers:        4,
		JobProjectWorkers: 2,
		JobRetention:      7 * 24 * time.Hour,
		JobLease:          30 * time.Second,
		KeyAlgorithm:      "rsa",
		ImportMaxActive:   100,
		WebDownloadPorts:  "80,443",
		VolumeBackend:     "local",
		AvailabilityZone:  "nova",
		Hypervisor:        "fake",
		ComputeHosts:      "compute-1",
		SnapshotFormat:    "qcow2",

		CPUAllocationRatio:  16,
		RAMAllocationRatio:  1.5,
		DiskAllocationRatio: 1,
	}
}

type option struct {
	name, env, help string
	ptr             any
}

func (c *Config) options() []option {
	return []option{
		{"data-dir", "STRATUS_DATA_DIR", "directory for the embedded database, blobs and clouds.yaml", &c.DataDir},
		{"listen", "STRATUS_LISTEN", "address to listen on (host:port; port 0 picks a free one)", &c.Listen},
		{"public-url", "STRATUS_PUBLIC_URL", "base URL clients reach this node at (default http://LISTEN)", &c.PublicURL},
		{"database", "STRATUS_DATABASE", "metadata store: empty for SQLite in the data dir, sqlite:PATH, or postgres://...", &c.Database},
		{"blob", "STRATUS_BLOB", "byte store: empty for DATA_DIR/blobs, or s3://BUCKET[/PREFIX]?endpoint=URL (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_REGION or the config file's s3_access_key/s3_secret_key/s3_region)", &c.Blob},
		{"admin-password", "STRATUS_ADMIN_PASSWORD", "password of the bootstrap admin user (generated and printed once when empty)", &c.AdminPassword},
		{"region", "STRATUS_REGION", "region name in the service catalog", &c.Region},
		{"token-ttl", "STRATUS_TOKEN_TTL", "lifetime of issued tokens", &c.TokenTTL},
		{"bcrypt-cost", "STRATUS_BCRYPT_COST", "bcrypt cost of stored password hashes (4-31)", &c.BcryptCost},
		{"image-size-cap", "STRATUS_IMAGE_SIZE_CAP", "largest image upload in bytes", &c.ImageSizeCap},
		{"log-level", "STRATUS_LOG_LEVEL", "debug, info, warn or error", &c.LogLevel},
		{"log-format", "STRATUS_LOG_FORMAT", "text or json", &c.LogFormat},
		{"cloud-admin", "STRATUS_CLOUD_ADMIN", "where the admin role makes a cloud admin: admin-project (the admin project or system scope) or any-project (Keystone's legacy policy)", &c.CloudAdmin},
		{"credential-key-file", "STRATUS_CREDENTIAL_KEY_FILE", "key that encrypts stored credentials, created when missing (default DATA_DIR/credential.key; nodes sharing a database must share it)", &c.CredentialKeyFile},
		{"tempurl-methods", "STRATUS_TEMPURL_METHODS", "methods a Swift temp URL may be signed for (space or comma separated; Swift's tempurl methods)", &c.TempURLMethods},
		{"metrics-listen", "STRATUS_METRICS_LISTEN", "serve Prometheus /metrics on this address (host:port) without a token; empty: on --listen, to cloud admins only", &c.MetricsListen},
		{"body-min-rate", "STRATUS_BODY_MIN_RATE", "average bytes per second a request body must keep after a 60 s grace (0: no bound)", &c.BodyMinRate},
		{"job-workers", "STRATUS_JOB_WORKERS", "long jobs (imports, exports, conversions) this node runs at once", &c.JobWorkers},
		{"job-project-workers", "STRATUS_JOB_PROJECT_WORKERS", "long jobs of one project running at once over all nodes", &c.JobProjectWorkers},
		{"job-retention", "STRATUS_JOB_RETENTION", "how long finished jobs (import/export status) are kept", &c.JobRetention},
		{"job-lease", "STRATUS_JOB_LEASE", "how long a running job stays its node's without renewal; another node takes it over after that", &c.JobLease},
		{"image-import-convert", "STRATUS_IMAGE_IMPORT_CONVERT", `"raw" converts qcow2/vmdk/vhd/vhdx data imported through Glance's import to raw; "" keeps it`, &c.ImportConvert},
		{"import-max-active", "STRATUS_IMPORT_MAX_ACTIVE", "K5 imports (and, apart, exports) of one project queued or running at once; more is 503/50301", &c.ImportMaxActive},
		{"export-size-cap", "STRATUS_EXPORT_SIZE_CAP", "largest image a K5 export takes, in bytes (0: the image size cap); larger is 400/40011", &c.ExportSizeCap},
		{"export-segment-size", "STRATUS_EXPORT_SEGMENT_SIZE", "segment size, in bytes, of a K5 export's VMDK larger than one segment, written as a Static Large Object (0: 1 GiB; at most the 5 GiB single-object limit)", &c.ExportSegmentSize},
		{"web-download-allowed-ports", "STRATUS_WEB_DOWNLOAD_ALLOWED_PORTS", "ports Glance's web-download import may fetch from (comma separated)", &c.WebDownloadPorts},
		{"web-download-allowed-hosts", "STRATUS_WEB_DOWNLOAD_ALLOWED_HOSTS", "hosts, addresses or CIDRs web-download may fetch from even when loopback, private or link-local (comma separated)", &c.WebDownloadHosts},
		{"key-algorithm", "STRATUS_KEY_ALGORITHM", "algorithm of key pairs compute generates: rsa (2048 bits, as Nova) or ed25519", &c.KeyAlgorithm},
		{"volume-backend", "STRATUS_VOLUME_BACKEND", "where volume bytes live: local (sparse files in volume-dir) or blob (qcow2 objects in the blob store)", &c.VolumeBackend},
		{"volume-dir", "STRATUS_VOLUME_DIR", "directory of local volume files (default DATA_DIR/volumes)", &c.VolumeDir},
		{"availability-zone", "STRATUS_AVAILABILITY_ZONE", "availability zone of this node's volumes", &c.AvailabilityZone},
		{"hypervisor", "STRATUS_HYPERVISOR", "hypervisor driver that runs servers: fake (no guests, real disks) or qemu (a QEMU per server)", &c.Hypervisor},
		{"compute-driver", "STRATUS_COMPUTE_DRIVER", "the same as --hypervisor", &c.ComputeDriver},
		{"hypervisor-settings", "STRATUS_HYPERVISOR_SETTINGS", "driver settings as key=value,... (fake: spawn_delay, action_delay, vnc_base; qemu: binary, accel, shutdown_timeout, reboot_timeout, novnc_dir, console_ttl)", &c.HypervisorSettings},
		{"cpu-allocation-ratio", "STRATUS_CPU_ALLOCATION_RATIO", "vCPUs the scheduler places per host CPU", &c.CPUAllocationRatio},
		{"ram-allocation-ratio", "STRATUS_RAM_ALLOCATION_RATIO", "guest memory the scheduler places per byte of host memory", &c.RAMAllocationRatio},
		{"disk-allocation-ratio", "STRATUS_DISK_ALLOCATION_RATIO", "root disk the scheduler places per byte of host disk", &c.DiskAllocationRatio},
		{"compute-hosts", "STRATUS_COMPUTE_HOSTS", "compute hosts as name[@zone][:vcpus:ram_mb:disk_gb],... (zone default nova; no capacity means unlimited)", &c.ComputeHosts},
		{"snapshot-format", "STRATUS_SNAPSHOT_FORMAT", "disk format of server snapshots (createImage, shelve): qcow2 or raw", &c.SnapshotFormat},
	}
}

// ParseFlags fills c from a --config file, the environment and args.
func (c *Config) ParseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	configPath := fs.String("config", getenv("STRATUS_CONFIG"), "YAML file with options (keys as the flag names with _ for -); env STRATUS_CONFIG")
	flagged := Defaults()
	for _, o := range flagged.options() {
		help := o.help + " (env " + o.env + ")"
		switch p := o.ptr.(type) {
		case *string:
			fs.StringVar(p, o.name, *p, help)
		case *int:
			fs.IntVar(p, o.name, *p, help)
		case *int64:
			fs.Int64Var(p, o.name, *p, help)
		case *time.Duration:
			fs.DurationVar(p, o.name, *p, help)
		case *float64:
			fs.Float64Var(p, o.name, *p, help)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	*c = Defaults()
	if *configPath != "" {
		b, err := os.ReadFile(*configPath)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil {
			return fmt.Errorf("config %s: %w", *configPath, err)
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fo, co := flagged.options(), c.options()
	for i, o := range co {
		if set[o.name] {
			copyValue(o.ptr, fo[i].ptr)
			continue
		}
		if v := getenv(o.env); v != "" {
			if err := setFromString(o.ptr, v); err != nil {
				return fmt.Errorf("%s: %w", o.env, err)
			}
		}
	}
	return c.validate()
}

func copyValue(dst, src any) {
	switch d := dst.(type) {
	case *string:
		*d = *src.(*string)
	case *int:
		*d = *src.(*int)
	case *int64:
		*d = *src.(*int64)
	case *time.Duration:
		*d = *src.(*time.Duration)
	case *float64:
		*d = *src.(*float64)
	}
}

func setFromString(dst any, v string) error {
	switch d := dst.(type) {
	case *string:
		*d = v
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		*d = n
	case *int64:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		*d = n
	case *time.Duration:
		n, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		*d = n
	case *float64:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return err
		}
		*d = n
	}
	return nil
}

func (c *Config) validate() error {
	if c.TokenTTL <= 0 {
		return fmt.Errorf("token-ttl must be positive")
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		return fmt.Errorf("bcrypt-cost must be between 4 and 31")
	}
	if c.ImportConvert != "" && c.ImportConvert != "raw" {
		return fmt.Errorf("image-import-convert must be \"raw\" or empty")
	}
	if c.ImportMaxActive < 1 {
		return fmt.Errorf("import-max-active must be at least 1")
	}
	if c.ExportSegmentSize < 0 || c.ExportSegmentSize > objectstore.MaxObjectSize {
		return fmt.Errorf("export-segment-size must be between 1 and %d bytes (0: the default)", int64(objectstore.MaxObjectSize))
	}
	if _, err := c.webDownloadPorts(); err != nil {
		return err
	}
	if c.JobWorkers < 1 || c.JobProjectWorkers < 1 || c.JobRetention <= 0 || c.JobLease < time.Second {
		return fmt.Errorf("job-workers and job-project-workers must be at least 1, job-retention positive and job-lease at least 1s")
	}
	if c.ComputeDriver != "" {
		if c.Hypervisor != "fake" && c.Hypervisor != c.ComputeDriver {
			return fmt.Errorf("hypervisor %q and compute-driver %q disagree", c.Hypervisor, c.ComputeDriver)
		}
		c.Hypervisor = c.ComputeDriver
	}
	if !(c.CPUAllocationRatio > 0 && c.RAMAllocationRatio > 0 && c.DiskAllocationRatio > 0) {
		return fmt.Errorf("cpu-, ram- and disk-allocation-ratio must be positive")
	}
	if c.SnapshotFormat != "qcow2" && c.SnapshotFormat != "raw" {
		return fmt.Errorf("snapshot-format must be qcow2 or raw")
	}
	if c.KeyAlgorithm != "rsa" && c.KeyAlgorithm != "ed25519" {
		return fmt.Errorf("key-algorithm must be rsa or ed25519")
	}
	if c.VolumeBackend != "local" && c.VolumeBackend != "blob" {
		return fmt.Errorf("volume-backend must be local or blob")
	}
	if c.AvailabilityZone == "" {
		return fmt.Errorf("availability-zone must not be empty")
	}
	if c.DataDir == "" {
		return fmt.Errorf("data-dir must not be empty")
	}
	if c.CloudAdmin != "admin-project" && c.CloudAdmin != "any-project" {
		return fmt.Errorf("cloud-admin must be admin-project or any-project")
	}
	if c.BodyMinRate < 0 {
		return fmt.Errorf("body-min-rate must not be negative")
	}
	if c.Blob != "" && !strings.HasPrefix(c.Blob, "s3://") {
		return fmt.Errorf("blob: %q is neither empty (the data dir) nor s3://BUCKET?endpoint=URL", c.Blob)
	}
	for _, m := range c.tempURLMethods() {
		switch m {
		case "GET", "HEAD", "PUT", "POST", "DELETE", "COPY":
		default:
			return fmt.Errorf("tempurl-methods: %q is not a Swift object method", m)
		}
	}
	return nil
}

// tempURLMethods is TempURLMethods as a list.
func (c *Config) tempURLMethods() []string {
	return strings.FieldsFunc(strings.ToUpper(c.TempURLMethods), func(r rune) bool { return r == ' ' || r == ',' })
}

// webDownloadPorts is WebDownloadPorts as numbers.
func (c *Config) webDownloadPorts() ([]int, error) {
	var out []int
	for _, f := range splitList(c.WebDownloadPorts) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("web-download-allowed-ports: %q is not a port", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}
