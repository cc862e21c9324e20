package contracts_test

import (
	"errors"
	"fmt"

	"github.com/sharjah-handoff/handoff/contracts"
)

func ExampleValidate() {
	payload := []byte(`{
		"ticket_id": "01951f3a-6d90-7a14-b2e8-c4f07d19e5a6",
		"version": 2,
		"status": "rejected",
		"cd_status_code": "CMP-OUT-OF-AREA",
		"changed_at": "2026-02-03T09:31:12+04:00"
	}`)
	err := contracts.Validate(contracts.TypeTicketStatus, payload)
	var verr *contracts.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			fmt.Printf("%s %s: %s\n", p.Pointer, p.Code, p.Message.EN)
		}
	}
	// Output:
	// /reason_code required: missing property "reason_code"
}

func ExampleCatalogue_Lookup() {
	catalogue, err := contracts.DefaultCatalogue()
	if err != nil {
		panic(err)
	}
	s, ok := catalogue.Lookup("fire_hazard_complaint")
	fmt.Println(ok, s.Name.AR, "/", s.Name.EN)
	fmt.Println("queue:", s.Queue, "priority:", s.Priority, "acknowledge within:", s.AckSLA())

	problems := s.CheckRequest(contracts.Attributes{"hazard_type": "blocked_exit"}, nil)
	for _, p := range problems {
		fmt.Println(p.Pointer, p.Code)
	}

	emergency, _ := catalogue.Lookup("emergency")
	fmt.Println(emergency.Ticketed(), emergency.Notice.EN)
	// Output:
	// true بلاغ عن خطر حريق غير طارئ / Non-emergency fire hazard complaint
	// queue: complaints priority: high acknowledge within: 1h0m0s
	// /attributes/premises_type required
	// /location required
	// false Emergency: transfer the caller to 997 now. Do not create a request.
}
