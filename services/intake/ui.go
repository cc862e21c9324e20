package intake

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/sharjah-handoff/handoff/contracts"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Pages of the agent site; each is parsed with the shared layout.
const (
	pageLogin   = "login.html"
	pageHome    = "home.html"
	pageCapture = "capture.html"
	pageRequest = "request.html"
)

func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, p := range []string{pageLogin, pageHome, pageCapture, pageRequest} {
		t, err := template.New(p).ParseFS(assets, "templates/layout.html", "templates/"+p)
		if err != nil {
			return nil, fmt.Errorf("intake: template %s: %w", p, err)
		}
		pages[p] = t
	}
	return pages, nil
}

// staticFiles serves the page's script and style sheet, and no directory
// listing.
func staticFiles() http.Handler {
	sub, _ := fs.Sub(assets, "static")
	files := http.StripPrefix(agentPath+"static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// labels gives templates the page's words in its language.
type labels struct{ lang string }

// T returns a UI text by key; a missing key shows itself, so a gap is
// visible rather than blank.
func (l labels) T(key string) string {
	t, ok := uiText[key]
	if !ok {
		return key
	}
	return t.In(l.lang)
}

// X returns a catalogue or note text in the page's language.
func (l labels) X(t contracts.Text) string { return t.In(l.lang) }

// page is what every agent page template gets.
type page struct {
	Lang, Dir, Title string
	L                labels
	Agent            *Agent
	CSRF             string
	// OtherLang and SwitchURL offer the page in the other language.
	OtherLang, OtherLangName, SwitchURL string
	Data                                any
}

func newPage(r *http.Request, lang string, a *agentCall, titleKey string, data any) page {
	p := page{Lang: lang, Dir: "ltr", L: labels{lang}, Data: data, OtherLang: langAR, OtherLangName: "العربية"}
	if lang == langAR {
		p.Dir, p.OtherLang, p.OtherLangName = "rtl", langEN, "English"
	}
	p.Title = p.L.T(titleKey)
	q := url.Values{}
	for k, v := range r.URL.Query() {
		q[k] = v
	}
	q.Set("lang", p.OtherLang)
	p.SwitchURL = r.URL.Path + "?" + q.Encode()
	if r.Method != http.MethodGet {
		p.SwitchURL = agentPath + "?lang=" + p.OtherLang
	}
	if a != nil {
		p.Agent, p.CSRF = &a.agent, a.csrf
	}
	return p
}

// render writes an agent page.
func (s *Service) render(w http.ResponseWriter, status int, name string, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	if err := s.pages[name].ExecuteTemplate(w, "layout", p); err != nil {
		s.log.Error("render agent page", "page", name, "err", err)
	}
}

// uiText holds the agent page's words.
var uiText = map[string]contracts.Text{
	"app":              {EN: "Civil Defence requests", AR: "طلبات الدفاع المدني"},
	"home":             {EN: "New request", AR: "طلب جديد"},
	"login":            {EN: "Agent login", AR: "دخول الموظف"},
	"agent_id":         {EN: "Agent ID", AR: "رقم الموظف"},
	"password":         {EN: "Password", AR: "كلمة المرور"},
	"sign_in":          {EN: "Sign in", AR: "دخول"},
	"logout":           {EN: "Sign out", AR: "خروج"},
	"bad_login":        {EN: "Wrong agent ID or password.", AR: "رقم الموظف أو كلمة المرور غير صحيحة."},
	"expired_form":     {EN: "The form expired; please try again.", AR: "انتهت صلاحية النموذج؛ يرجى المحاولة مرة أخرى."},
	"cookies_refused":  {EN: "The browser refused the sign-in cookie. Open this page over HTTPS, or at http://localhost.", AR: "رفض المتصفح ملف تعريف الدخول. افتح الصفحة عبر HTTPS أو عبر http://localhost."},
	"no_agents":        {EN: "No agents are configured for this page.", AR: "لم يُعرَّف أي موظف لهذه الصفحة."},
	"lookup_title":     {EN: "Look up a request", AR: "البحث عن طلب"},
	"reference":        {EN: "Reference", AR: "الرقم المرجعي"},
	"lookup":           {EN: "Look up", AR: "بحث"},
	"pick_service":     {EN: "Capture a request: pick the service", AR: "تسجيل طلب: اختر الخدمة"},
	"staff_only":       {EN: "staff only", AR: "للموظفين فقط"},
	"emergency":        {EN: "Emergency", AR: "طوارئ"},
	"call":             {EN: "The call", AR: "المكالمة"},
	"caller_language":  {EN: "Caller's language", AR: "لغة المتصل"},
	"channel":          {EN: "Channel", AR: "قناة التواصل"},
	"ch_phone":         {EN: "Phone (8008000)", AR: "هاتف (8008000)"},
	"ch_walk_in":       {EN: "Walk-in", AR: "حضور شخصي"},
	"ch_email":         {EN: "Email", AR: "بريد إلكتروني"},
	"ch_web":           {EN: "Web", AR: "الموقع الإلكتروني"},
	"arabic":           {EN: "Arabic", AR: "العربية"},
	"english":          {EN: "English", AR: "الإنجليزية"},
	"details":          {EN: "Request details", AR: "تفاصيل الطلب"},
	"description":      {EN: "Description (what the caller says)", AR: "الوصف (ما يقوله المتصل)"},
	"location":         {EN: "Location", AR: "الموقع"},
	"address_string":   {EN: "Address", AR: "العنوان"},
	"address_id":       {EN: "Address ID", AR: "رقم العنوان"},
	"lat":              {EN: "Latitude", AR: "خط العرض"},
	"long":             {EN: "Longitude", AR: "خط الطول"},
	"caller":           {EN: "Caller", AR: "المتصل"},
	"first_name":       {EN: "First name", AR: "الاسم الأول"},
	"last_name":        {EN: "Last name", AR: "اسم العائلة"},
	"phone":            {EN: "Phone", AR: "الهاتف"},
	"email":            {EN: "Email", AR: "البريد الإلكتروني"},
	"account_id":       {EN: "Account ID", AR: "رقم الحساب"},
	"media_url":        {EN: "Photo or document link", AR: "رابط صورة أو مستند"},
	"submit":           {EN: "Submit to Civil Defence", AR: "إرسال إلى الدفاع المدني"},
	"fix_errors":       {EN: "Please correct the fields marked below.", AR: "يرجى تصحيح الحقول المشار إليها أدناه."},
	"already_sent":     {EN: "This form was already submitted with other details. Start a new request.", AR: "أُرسل هذا النموذج من قبل ببيانات أخرى. ابدأ طلبا جديدا."},
	"read_reference":   {EN: "Read this reference to the caller:", AR: "اقرأ هذا الرقم المرجعي للمتصل:"},
	"request":          {EN: "Request", AR: "الطلب"},
	"service":          {EN: "Service", AR: "الخدمة"},
	"status":           {EN: "Status", AR: "الحالة"},
	"note_for_caller":  {EN: "Note for the caller", AR: "ملاحظة للمتصل"},
	"expected":         {EN: "Expected by", AR: "الموعد المتوقع"},
	"ticket":           {EN: "Civil Defence ticket", AR: "تذكرة الدفاع المدني"},
	"submitted_at":     {EN: "Submitted", AR: "تاريخ التقديم"},
	"history":          {EN: "History", AR: "السجل"},
	"time":             {EN: "Time", AR: "الوقت"},
	"note":             {EN: "Note", AR: "الملاحظة"},
	"live":             {EN: "live", AR: "مباشر"},
	"reconnecting":     {EN: "reconnecting…", AR: "جارٍ إعادة الاتصال…"},
	"overdue":          {EN: "Civil Defence has not acknowledged this request in time.", AR: "لم يستلم الدفاع المدني هذا الطلب في الوقت المحدد."},
	"not_found":        {EN: "No request has that reference.", AR: "لا يوجد طلب بهذا الرقم المرجعي."},
	"bad_reference":    {EN: "A reference looks like CC-7K3M-Q9P2.", AR: "الرقم المرجعي يكون بالشكل CC-7K3M-Q9P2."},
	"unavailable":      {EN: "The system is unavailable at the moment; try again shortly.", AR: "النظام غير متاح حاليا؛ أعد المحاولة بعد قليل."},
	"not_offered":      {EN: "This service is not offered at the moment.", AR: "هذه الخدمة غير متاحة حاليا."},
	"emergency_notice": {EN: "Do not create a request.", AR: "لا تنشئ طلبا."},
	"new_request":      {EN: "New request", AR: "طلب جديد"},
	"required":         {EN: "required", AR: "مطلوب"},
}
