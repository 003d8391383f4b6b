package main

import (
	"encoding/json"
	"fmt"
	"os"

	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
)

// scenario is the part of a test/scenarios/cases/*.json file a runner needs: the request. The gateway
// config, simulator rules and expected transcript are the orchestrating test's business.
type scenario struct {
	Request scenarioRequest `json:"request"`
}

type scenarioRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role string `json:"role"`
		Text string `json:"text"`
	} `json:"messages"`
	Tools []struct {
		Name                 string `json:"name"`
		Description          string `json:"description"`
		ParametersJSONSchema string `json:"parametersJsonSchema"`
	} `json:"tools"`
	DeadlineMs            int64  `json:"deadlineMs"`
	CancelAfterFirstEvent bool   `json:"cancelAfterFirstEvent"`
	RequestID             string `json:"requestId"`
	// DropAfterEvents: cut the call once this many events arrived, then resume after the last position seen.
	DropAfterEvents int `json:"dropAfterEvents"`
}

var roles = map[string]modelgatev1.Role{
	"system":    modelgatev1.Role_ROLE_SYSTEM,
	"user":      modelgatev1.Role_ROLE_USER,
	"assistant": modelgatev1.Role_ROLE_ASSISTANT,
}

func loadScenario(path string) (*scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s scenario
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// streamRequest builds the StreamComplete request the scenario describes; with resumeAfter, the call
// that resumes it.
func (r *scenarioRequest) streamRequest(resumeAfter *uint32) *modelgatev1.StreamCompleteRequest {
	request := &modelgatev1.StreamCompleteRequest{Model: r.Model, RequestId: r.RequestID, ResumeAfterPosition: resumeAfter}
	for _, message := range r.Messages {
		request.Messages = append(request.Messages, &modelgatev1.Message{
			Role:  roles[message.Role],
			Parts: []*modelgatev1.ContentPart{{Part: &modelgatev1.ContentPart_Text{Text: message.Text}}},
		})
	}
	for _, tool := range r.Tools {
		request.Tools = append(request.Tools, &modelgatev1.Tool{
			Name:                 tool.Name,
			Description:          tool.Description,
			ParametersJsonSchema: tool.ParametersJSONSchema,
		})
	}
	return request
}
