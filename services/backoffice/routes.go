package backoffice

import "net/http"

// routes are the page's and the API's, all under BasePath.
func (s *Service) routes() *http.ServeMux {
	b := s.cfg.BasePath
	m := http.NewServeMux()
	m.HandleFunc("GET "+b+"/api/me", s.api(s.apiMe))
	m.HandleFunc("GET "+b+"/api/queues", s.api(s.apiQueues))
	m.HandleFunc("GET "+b+"/api/queues/{queue}/tickets", s.api(s.apiTickets))
	m.HandleFunc("GET "+b+"/api/tickets/{id}", s.api(s.apiTicket))
	m.HandleFunc("POST "+b+"/api/tickets/{id}/{action}", s.api(s.apiAct))
	m.HandleFunc("GET "+b+"/api/events", s.api(s.serveEvents))
	m.HandleFunc("GET "+b+"/{$}", s.page(s.queuesPage))
	m.HandleFunc("GET "+b+"/login", s.loginPage)
	m.HandleFunc("POST "+b+"/login", s.login)
	m.HandleFunc("POST "+b+"/logout", s.page(s.logout))
	m.HandleFunc("GET "+b+"/lang/{lang}", s.switchLang)
	m.HandleFunc("GET "+b+"/queues/{queue}", s.page(s.queuePage))
	m.HandleFunc("GET "+b+"/tickets/{id}", s.page(s.ticketPage))
	m.HandleFunc("POST "+b+"/tickets/{id}/{action}", s.page(s.act))
	m.HandleFunc("GET "+b+"/events", s.page(s.serveEvents))
	m.Handle("GET "+b+"/static/", http.StripPrefix(b+"/static/", http.FileServerFS(s.pages.static)))
	return m
}
