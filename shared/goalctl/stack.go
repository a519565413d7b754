package goalctl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// EnvStack names the stack when --stack is not given.
const EnvStack = "GOALRELAY_STACK"

// Outputs of template.yaml that goalctl reads with --stack.
const (
	OutputQueueURL       = "EventsQueueUrl"
	OutputDLQURL         = "DeadLetterQueueUrl"
	OutputStateTable     = "StateTableName"
	OutputWebhookBaseURL = "WebhookBaseUrl"
)

// cfnAPI is the part of the CloudFormation client --stack uses.
type cfnAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// stackName is --stack, else $GOALRELAY_STACK.
func (a *app) stackName() string {
	if a.stack != "" {
		return a.stack
	}
	return strings.TrimSpace(a.env.Getenv(EnvStack))
}

// fromStack fills an empty *v with the named output of the stack, when a
// stack is named; a value given by flag always wins. It reads the stack's
// outputs once per run.
func (a *app) fromStack(ctx context.Context, v *string, output string) error {
	if *v != "" {
		return nil
	}
	name := a.stackName()
	if name == "" {
		return nil
	}
	if a.outputs == nil {
		outs, err := a.readOutputs(ctx, name)
		if err != nil {
			return err
		}
		a.outputs = outs
	}
	val, ok := a.outputs[output]
	if !ok || val == "" {
		keys := make([]string, 0, len(a.outputs))
		for k := range a.outputs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return fmt.Errorf("stack %s has no output %s (it has: %s); is it a goalrelay stack?", name, output, strings.Join(keys, ", "))
	}
	*v = val
	return nil
}

func (a *app) readOutputs(ctx context.Context, name string) (map[string]string, error) {
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	var client cfnAPI = cloudformation.NewFromConfig(cfg)
	if a.newCFN != nil {
		client = a.newCFN(cfg)
	}
	out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "ValidationError" && strings.Contains(api.ErrorMessage(), "does not exist") {
			return nil, fmt.Errorf("stack %s does not exist in region %s (--stack, %s; --region)", name, cfg.Region, EnvStack)
		}
		return nil, fmt.Errorf("read the outputs of stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, fmt.Errorf("stack %s does not exist in region %s", name, cfg.Region)
	}
	outs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return outs, nil
}

// require fills an empty *v from the stack's output and, when there is no
// value still, is a usage error naming flag and --stack.
func (a *app) require(ctx context.Context, v *string, flag, output string) error {
	if err := a.fromStack(ctx, v, output); err != nil {
		return err
	}
	if *v == "" {
		return usageErrorf("no --%s: give it, or --stack NAME (or set %s) to read it from the stack's %s output", flag, EnvStack, output)
	}
	return nil
}
