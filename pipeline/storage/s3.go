package storage

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// minS3PartSize is S3's smallest part but the last.
const minS3PartSize = 5 << 20

// defaultS3Region signs requests when neither the URL nor the environment
// names a region: S3-compatible stores (MinIO, Ceph) accept it, and AWS
// redirects nothing but answers with the bucket's region in the error.
const defaultS3Region = "us-east-1"

// openS3 builds the S3 client itself rather than through s3blob's URL
// opener, to give it a retryer that outlasts throttling and to default
// checksums for S3-compatible endpoints.
//
// The returned function goes in blob.WriterOptions.BeforeWrite: it
// replaces gocloud's transfer manager with one that starts a multipart
// upload once a part is full (the SDK's threshold is a fixed 16 MiB,
// read whole into memory first), so an open writer holds the first part
// and a pool of concurrency+1 parts: (concurrency+2) × part size.
func openS3(ctx context.Context, bucket string, q url.Values, o options) (*blob.Bucket, func(func(any) bool) error, error) {
	var (
		load                  []func(*config.LoadOptions) error
		endpoint              string
		pathStyle, legacyList bool
		checksum              string
	)
	boolParam := func(k, v string) (bool, error) {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("parameter %s=%q: want true or false", k, v)
		}
		return b, nil
	}
	for k, vs := range q {
		v := vs[0]
		var err error
		switch k {
		case "region":
			load = append(load, config.WithRegion(v))
		case "endpoint":
			endpoint = v
		case "use_path_style", "s3ForcePathStyle":
			pathStyle, err = boolParam(k, v)
		case "profile":
			load = append(load, config.WithSharedConfigProfile(v))
		case "anonymous":
			var anon bool
			if anon, err = boolParam(k, v); anon {
				load = append(load, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
			}
		case "legacy_list":
			legacyList, err = boolParam(k, v)
		case "checksum":
			if v != "when_supported" && v != "when_required" {
				err = fmt.Errorf("parameter checksum=%q: want when_supported or when_required", v)
			}
			checksum = v
		default:
			err = fmt.Errorf("unknown parameter %q (want region, endpoint, use_path_style, profile, anonymous, legacy_list, checksum, part_size)", k)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	load = append(load, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = o.maxAttempts
			so.MaxBackoff = o.maxBackoff
			so.Backoff = retry.NewExponentialJitterBackoff(o.maxBackoff)
			// The default token bucket stops retrying after a burst
			// of failures; throttling a long job must not fail it.
			so.RateLimiter = ratelimit.None
		})
	}))
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultS3Region
	}
	// Third-party stores often reject the SDK's default CRC checksums on
	// uploads; send them only when the operation requires one.
	if checksum == "" && (endpoint != "" || cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != "") {
		checksum = "when_required"
	}
	rcc := aws.RequestChecksumCalculationWhenSupported
	rcv := aws.ResponseChecksumValidationWhenSupported
	if checksum == "when_required" {
		rcc = aws.RequestChecksumCalculationWhenRequired
		rcv = aws.ResponseChecksumValidationWhenRequired
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
		}
		so.UsePathStyle = pathStyle
		so.RequestChecksumCalculation = rcc
		so.ResponseChecksumValidation = rcv
	})
	bkt, err := s3blob.OpenBucket(ctx, client, bucket, &s3blob.Options{
		UseLegacyList:              legacyList,
		RequestChecksumCalculation: rcc,
	})
	if err != nil {
		return nil, nil, err
	}
	partSize := int64(max(o.partSize, minS3PartSize))
	beforeWrite := func(as func(any) bool) error {
		var tm *transfermanager.Client
		if !as(&tm) || tm == nil {
			return nil
		}
		*tm = *transfermanager.New(client, func(to *transfermanager.Options) {
			to.RequestChecksumCalculation = rcc
			to.PartSizeBytes = partSize
			to.MultipartUploadThreshold = partSize
			to.Concurrency = o.concurrency
		})
		return nil
	}
	return bkt, beforeWrite, nil
}
