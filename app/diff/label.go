package diff

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// There is no settings catalog offline: labels are made from the ids
// themselves. Setting ids are lower-case words run together
// ("encryptionmethodbydrivetype"), so they are split with a vocabulary of the
// words Intune's settings use (words.txt, one a line).
//
//go:embed words.txt
var wordList string

var vocabulary = func() map[string]bool {
	words := make(map[string]bool)
	for _, w := range strings.Fields(wordList) {
		words[w] = true
	}
	return words
}()

// properNames are words with a fixed spelling.
var properNames = map[string]string{
	"bitlocker": "BitLocker", "smartscreen": "SmartScreen", "onedrive": "OneDrive",
	"filevault": "FileVault", "laps": "LAPS", "lsa": "LSA", "asr": "ASR", "tpm": "TPM",
	"uac": "UAC", "vbs": "VBS", "wifi": "Wi-Fi", "pin": "PIN", "os": "OS", "id": "ID",
	"url": "URL", "urls": "URLs", "vpn": "VPN", "dns": "DNS", "usb": "USB", "smb": "SMB",
	"ntlm": "NTLM", "tls": "TLS", "oma": "OMA", "uri": "URI", "mdm": "MDM", "xts": "XTS",
	"aes": "AES", "cbc": "CBC", "fdv": "FDV", "rdv": "RDV", "admx": "ADMX", "csp": "CSP",
	"edge": "Edge", "windows": "Windows", "microsoft": "Microsoft", "defender": "Defender",
	"office": "Office", "outlook": "Outlook", "teams": "Teams", "apple": "Apple",
	"macos": "macOS", "ios": "iOS", "ipados": "iPadOS", "android": "Android", "icloud": "iCloud",
	"airdrop": "AirDrop", "siri": "Siri", "sso": "SSO", "fde": "FDE", "tcc": "TCC",
	"mcx": "MCX", "ddm": "DDM", "wsl": "WSL", "ie": "IE", "ui": "UI", "api": "API",
	"rdp": "RDP", "wdac": "WDAC", "mde": "MDE", "hvci": "HVCI", "dma": "DMA", "sku": "SKU",
	"ntp": "NTP", "http": "HTTP", "https": "HTTPS", "ssl": "SSL", "cpu": "CPU", "gpu": "GPU",
	"ip": "IP", "ipv4": "IPv4", "ipv6": "IPv6", "lan": "LAN", "wlan": "WLAN", "pc": "PC",
	"unc": "UNC", "smartcard": "smart card", "cortana": "Cortana", "bluetooth": "Bluetooth",
	"powershell": "PowerShell", "intune": "Intune", "entra": "Entra", "azure": "Azure",
	"passportforwork": "Windows Hello for Business", "xbox": "Xbox", "dhcp": "DHCP",
	"hello": "Hello", "autopilot": "Autopilot", "sha": "SHA", "rsa": "RSA", "fips": "FIPS",
	"lm": "LM", "kerberos": "Kerberos", "dra": "DRA", "bde": "BDE", "netbios": "NetBIOS", "mfa": "MFA", "otp": "OTP",
}

// humanKey turns a property name into words: "passwordMinimumLength" →
// "Password minimum length", "bitLockerEnabled" → "BitLocker enabled".
func humanKey(k string) string {
	switch k {
	case "@odata.type":
		return "Type"
	case "@atlas.json": // intune.EmbeddedJSONKey: a string that held JSON
		return ""
	}
	k = strings.TrimSuffix(k, "@odata.bind")
	var words []string
	start := 0
	runes := []rune(k)
	for i := 1; i <= len(runes); i++ {
		if i == len(runes) || boundary(runes, i) {
			if w := strings.ToLower(strings.Trim(string(runes[start:i]), "_-. ")); w != "" {
				words = append(words, split(w)...)
			}
			start = i
		}
	}
	return sentence(joinNames(words))
}

// joinNames rejoins a proper name that camelCase split ("bit", "locker" → "bitlocker").
func joinNames(ws []string) []string {
	out := ws[:0]
	for i := 0; i < len(ws); i++ {
		if i+1 < len(ws) && properNames[ws[i]+ws[i+1]] != "" {
			out = append(out, ws[i]+ws[i+1])
			i++
			continue
		}
		out = append(out, ws[i])
	}
	return out
}

// boundary reports a word break before runes[i] in a camelCase or snake_case name.
func boundary(r []rune, i int) bool {
	prev, cur := r[i-1], r[i]
	switch {
	case cur == '_' || cur == '-' || cur == '.' || cur == ' ':
		return true
	case unicode.IsUpper(cur) && unicode.IsLower(prev):
		return true
	case unicode.IsUpper(cur) && unicode.IsUpper(prev) && i+1 < len(r) && unicode.IsLower(r[i+1]):
		return true // "OSVersion": OS | Version
	case unicode.IsDigit(cur) != unicode.IsDigit(prev) && unicode.IsLetter(prev) != unicode.IsLetter(cur):
		return true
	}
	return false
}

// words splits an id of run-together lower-case words; each "_" part is split
// on its own, and the "l_" markers of ADMX category paths are dropped.
func words(id string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return strings.ContainsRune("_.- ~", r) }) {
		if part != "l" {
			out = append(out, split(part)...)
		}
	}
	return out
}

// splitMemo remembers cut words: the same setting ids come back in every
// version of every policy, and cutting is the costliest part of flattening.
// It stops growing at maxMemo entries, whatever keys odd payloads bring.
var (
	splitMemo sync.Map
	memoSize  atomic.Int64
	maxMemo   = int64(100_000)
)

// split cuts a run of lower-case letters and digits into known words, the
// cheapest cut first; letters no word covers stay together as one word.
func split(s string) []string {
	if w, ok := splitMemo.Load(s); ok {
		return w.([]string)
	}
	w := cut(s)
	if memoSize.Add(1) <= maxMemo {
		splitMemo.Store(s, w)
	}
	return w
}

func cut(s string) []string {
	if isWord(s) || len(s) > 80 {
		return []string{s}
	}
	const (
		wordCost    = 3
		shortCost   = 6  // one- and two-letter words split unknown words too eagerly
		unknownCost = 10 // per unknown run, plus one per letter: unknown letters stay together
	)
	n := len(s)
	cost := make([]int, n+1)
	from := make([]int, n+1)
	for i := 1; i <= n; i++ {
		cost[i] = -1
		for j := max(0, i-24); j < i; j++ {
			w := s[j:i]
			c := unknownCost + len(w)
			switch {
			case allDigits(w):
				c = 1
			case isWord(w) && len(w) <= 2:
				c = shortCost
			case isWord(w):
				c = wordCost
			}
			if cost[i] < 0 || cost[j]+c < cost[i] {
				cost[i], from[i] = cost[j]+c, j
			}
		}
	}
	var out []string
	for i := n; i > 0; i = from[i] {
		out = append(out, s[from[i]:i])
	}
	slices.Reverse(out)
	return out
}

// isWord reports a vocabulary word, also in a plural or past form.
func isWord(w string) bool {
	if vocabulary[w] || properNames[w] != "" {
		return true
	}
	for _, suffix := range []string{"s", "es", "ed", "d", "ing", "er", "r"} {
		stem, ok := strings.CutSuffix(w, suffix)
		// "d" and "r" only follow an e: used, user — not maxd.
		if ok && len(stem) >= 3 && vocabulary[stem] && (suffix != "d" && suffix != "r" || strings.HasSuffix(stem, "e")) {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// sentence writes words as a label: proper names spelt their way, the first
// word capitalised.
func sentence(ws []string) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		if p := properNames[w]; p != "" {
			w = p
		}
		b.WriteString(w)
	}
	s := b.String()
	if s == "" {
		return ""
	}
	r := []rune(s)
	if unicode.IsLower(r[0]) && !strings.HasPrefix(s, "macOS") && !strings.HasPrefix(s, "iOS") && !strings.HasPrefix(s, "iPadOS") && !strings.HasPrefix(s, "iCloud") {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

// definitionPrefixes are the CSP roots setting ids start with; what follows
// is the area (the category) and the setting.
var definitionPrefixes = []string{
	"device_vendor_msft_policy_config_", "user_vendor_msft_policy_config_",
	"device_vendor_msft_", "user_vendor_msft_", "vendor_msft_",
}

// splitDefinition cuts a setting definition id into its category and the
// rest: "device_vendor_msft_bitlocker_fixeddrivesencryptiontype" → "bitlocker",
// "fixeddrivesencryptiontype".
func splitDefinition(def string) (area, rest string) {
	for _, p := range definitionPrefixes {
		if r, ok := strings.CutPrefix(def, p); ok {
			def = strings.TrimPrefix(r, "admx_")
			break
		}
	}
	// ADMX-ingested ids: "office16v2~policy~l_microsoftofficesystem~l_security_l_x".
	if area, rest, ok := strings.Cut(def, "~policy~"); ok {
		return strings.TrimSuffix(area, "v2"), rest
	}
	area, rest, _ = strings.Cut(def, "_")
	return area, rest
}

// categoryOf is the section of a settings-catalog setting: its CSP area.
func categoryOf(def string) string {
	area, _ := splitDefinition(def)
	if a, ok := strings.CutPrefix(area, "com.apple."); ok {
		area = a
	}
	if area == "" {
		return SectionSettings
	}
	return sentence(words(area))
}

// settingName labels a setting the dictionary does not know: the category and
// the setting's words, or for a child the words its id adds to its parent's.
func settingName(def, parentDef string) string {
	own := ownName(def, parentDef)
	if parentDef != "" || isIntent(def) || own == categoryOf(def) {
		return own
	}
	return joinLabel(categoryOf(def), own)
}

// isIntent reports an endpoint-security intent setting's id
// ("deviceConfiguration--windows10EndpointProtectionConfiguration_firewallBlockStatefulFTP").
func isIntent(def string) bool { return strings.Contains(def, "--") }

// ownName is a setting's own words, without its category or parent; a payload
// that is its own category (Apple's "com.apple.extensiblesso_com.apple.extensiblesso")
// is named after it.
func ownName(def, parentDef string) string {
	if _, name, ok := strings.Cut(def, "--"); ok { // an intent setting: the property after its profile type
		return humanKey(name[strings.LastIndexByte(name, '_')+1:])
	}
	area, rest := splitDefinition(def)
	if parentDef != "" {
		if own, ok := strings.CutPrefix(def, parentDef+"_"); ok {
			rest = own
		}
		return sentence(words(rest))
	}
	if rest == area {
		return categoryOf(def)
	}
	name := ""
	for _, part := range strings.Split(rest, "~") {
		name = joinLabel(name, sentence(words(part)))
	}
	return name
}

// knownChoices are the few choice values whose meaning the id does not carry
// and a consultant must read right (the BitLocker CSP's encryption methods).
var knownChoices = map[string]string{
	"3": "AES-CBC 128", "4": "AES-CBC 256", "6": "XTS-AES 128", "7": "XTS-AES 256",
}

// choiceText reads a choice value id: the part after the setting's own id,
// humanised, with the raw id kept for grey text.
func choiceText(def, value string) (display, id string) {
	rest, ok := strings.CutPrefix(value, def+"_")
	if !ok {
		rest = value[strings.LastIndexByte(value, '_')+1:]
	}
	switch {
	case strings.Contains(def, "_bitlocker_") && strings.Contains(def, "dropdown") && knownChoices[rest] != "":
		return knownChoices[rest], value
	case rest == "true" || rest == "false":
		return sentence([]string{rest}), value
	case rest == "0" || rest == "1":
		return switchText(def, rest == "1"), value
	}
	return sentence(words(rest)), value
}

// switchText reads a 0/1 choice: ADMX-backed settings are Disabled/Enabled,
// "Allow…" settings Blocked/Allowed; elsewhere the number is all we know.
func switchText(def string, on bool) string {
	_, rest := splitDefinition(def)
	name := rest[strings.LastIndexByte(rest, '_')+1:]
	switch {
	case strings.Contains(def, "_admx_") || strings.HasPrefix(name, "enable") || strings.HasPrefix(name, "turnon"):
		if on {
			return "Enabled"
		}
		return "Disabled"
	case strings.HasPrefix(name, "allow"):
		if on {
			return "Allowed"
		}
		return "Blocked"
	}
	if on {
		return "1"
	}
	return "0"
}

// omaLabel shortens an OMA-URI to its last two parts in words:
// "./Device/Vendor/MSFT/Policy/Config/Defender/AllowArchiveScanning" →
// "Defender › Allow archive scanning".
func omaLabel(uri string) string {
	parts := strings.FieldsFunc(uri, func(r rune) bool { return r == '/' })
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	for i, p := range parts {
		parts[i] = humanKey(p)
	}
	return strings.Join(parts, " › ")
}
