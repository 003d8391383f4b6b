package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
)

// line is one transcript line; encoding/json sorts map keys, which is the canonical order.
type line map[string]any

// codeNames are Connect's code names, indexed by gRPC status number: the spelling every runner writes.
var codeNames = []string{
	"ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists",
	"permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range",
	"unimplemented", "internal", "unavailable", "data_loss", "unauthenticated",
}

// render writes lines as the canonical transcript text: sorted keys, no spaces, UTF-8 kept, no HTML escaping.
func render(lines []line) (string, error) {
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	for _, l := range lines {
		if err := encoder.Encode(l); err != nil { // Encode appends "\n"
			return "", err
		}
	}
	return out.String(), nil
}

func enumName(name, prefix string) string { return strings.TrimPrefix(name, prefix) }

// eventLine converts one stream event.
func eventLine(response *modelgatev1.StreamCompleteResponse) line {
	switch event := response.Event.(type) {
	case *modelgatev1.StreamCompleteResponse_Start:
		return line{"type": "start", "deployment": event.Start.Deployment, "provider": event.Start.Provider}
	case *modelgatev1.StreamCompleteResponse_Fallback:
		return line{"type": "fallback", "from": event.Fallback.FromDeployment, "to": event.Fallback.ToDeployment, "reason": event.Fallback.Reason}
	case *modelgatev1.StreamCompleteResponse_TextDelta:
		return line{"type": "text", "text": event.TextDelta.Text}
	case *modelgatev1.StreamCompleteResponse_ReasoningDelta:
		return line{"type": "reasoning", "text": event.ReasoningDelta.Text}
	case *modelgatev1.StreamCompleteResponse_ToolCallDelta:
		l := line{"type": "tool_call", "index": event.ToolCallDelta.Index, "arguments": event.ToolCallDelta.ArgumentsFragment}
		putString(l, "id", event.ToolCallDelta.Id)
		putString(l, "name", event.ToolCallDelta.Name)
		return l
	case *modelgatev1.StreamCompleteResponse_Finish:
		finish := event.Finish
		l := line{"type": "finish", "finishReason": enumName(finish.FinishReason.String(), "FINISH_REASON_")}
		putString(l, "rawFinishReason", finish.RawFinishReason)
		if finish.Usage != nil {
			l["usage"] = usageObject(finish.Usage)
		}
		if finish.CostMicroUsd != nil {
			l["costMicroUsd"] = *finish.CostMicroUsd
		}
		if finish.Route != nil {
			l["route"] = routeObject(finish.Route)
		}
		if len(finish.ToolCalls) > 0 {
			calls := []line{}
			for _, call := range finish.ToolCalls {
				calls = append(calls, line{"id": call.Id, "name": call.Name, "arguments": call.ArgumentsJson})
			}
			l["toolCalls"] = calls
		}
		if len(finish.Warnings) > 0 {
			warnings := []line{}
			for _, warning := range finish.Warnings {
				w := line{}
				putString(w, "code", warning.Code)
				putString(w, "deployment", warning.Deployment)
				warnings = append(warnings, w)
			}
			l["warnings"] = warnings
		}
		return l
	}
	return line{"type": "unknown"}
}

// errorLine converts the status that ended a call: its code number and its detail messages.
func errorLine(code int, details []proto.Message) line {
	name := "code_" + strconv.Itoa(code)
	if code >= 0 && code < len(codeNames) {
		name = codeNames[code]
	}
	l := line{"type": "error", "code": name}
	if name == "canceled" || name == "deadline_exceeded" {
		return l // may be produced by the client itself: details are not comparable
	}
	for _, detail := range details {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			putString(l, "domain", d.Domain)
			putString(l, "reason", d.Reason)
		case *errdetails.RetryInfo:
			if d.RetryDelay != nil {
				l["retryDelayMs"] = d.RetryDelay.Seconds*1000 + int64(d.RetryDelay.Nanos+500_000)/1_000_000
			}
		case *errdetails.BadRequest:
			fields := []string{}
			for _, violation := range d.FieldViolations {
				fields = append(fields, violation.Field)
			}
			if len(fields) > 0 {
				l["fieldViolations"] = fields
			}
		case *modelgatev1.FailureDetails:
			failure := line{}
			if d.Usage != nil {
				failure["usage"] = usageObject(d.Usage)
			}
			if d.CostMicroUsd != nil {
				failure["costMicroUsd"] = *d.CostMicroUsd
			}
			if d.Route != nil {
				failure["route"] = routeObject(d.Route)
			}
			l["failure"] = failure
		}
	}
	return l
}

func usageObject(usage *modelgatev1.Usage) line {
	l := line{}
	putUint(l, "inputTokens", usage.InputTokens)
	putUint(l, "cachedInputTokens", usage.CachedInputTokens)
	putUint(l, "cacheWriteInputTokens", usage.CacheWriteInputTokens)
	putUint(l, "outputTokens", usage.OutputTokens)
	putUint(l, "reasoningTokens", usage.ReasoningTokens)
	if usage.Partial {
		l["partial"] = true
	}
	return l
}

func routeObject(route *modelgatev1.RouteRecord) line {
	l := line{"strategy": enumName(route.Strategy.String(), "ROUTING_STRATEGY_")}
	putString(l, "requestedModel", route.RequestedModel)
	putString(l, "deployment", route.Deployment)
	putString(l, "provider", route.Provider)
	putString(l, "vendorModel", route.VendorModel)
	attempts := []line{}
	for _, attempt := range route.Attempts {
		a := line{"outcome": enumName(attempt.Outcome.String(), "ATTEMPT_OUTCOME_"), "retry": attempt.Retry}
		putString(a, "deployment", attempt.Deployment)
		putString(a, "provider", attempt.Provider)
		putString(a, "reason", attempt.Reason)
		attempts = append(attempts, a)
	}
	l["attempts"] = attempts
	return l
}

func putString(l line, key, value string) {
	if value != "" {
		l[key] = value
	}
}

func putUint(l line, key string, value *uint32) {
	if value != nil {
		l[key] = *value
	}
}
