package diff

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"atlas/app/intune"
	"atlas/app/shareddata"
)

// checkProperties asserts the two laws of Compare on normalised payloads:
// no changes and no rows that read the same on both sides but differ exactly
// when the canonical JSON is equal, and comparing the other way round gives the
// mirror image.
func checkProperties(t testing.TB, a, b any) {
	t.Helper()
	a, b = intune.Normalize(a), intune.Normalize(b)
	equal := bytes.Equal(intune.Canonical(a), intune.Canonical(b))
	if res := Payloads(a, b); (len(res.Changes) == 0 && res.ReadSame == 0) != equal {
		t.Fatalf("canonical equal %v but %d changes %.600v and %d rows reading the same\na: %.600s\nb: %.600s",
			equal, len(res.Changes), res.Changes, res.ReadSame, intune.Canonical(a), intune.Canonical(b))
	}
	checkMirror(t, a, b)
}

// keys and scalars are drawn from small sets so that generated payloads
// collide, nest the shapes the engine knows, and hold path-breaking characters.
var (
	genKeys = []string{
		"settings", "settingInstance", "settingDefinitionId", "children", "choiceSettingValue",
		"simpleSettingValue", "simpleSettingCollectionValue", "choiceSettingCollectionValue",
		"groupSettingCollectionValue", "groupSettingValue", "value", "assignments", "target",
		"@odata.type", "groupId", "omaUri", "omaSettings", "displayName", "name", "scriptContent",
		"payload", "definition@odata.bind", "presentation@odata.bind", "presentationValues",
		"definitionValues", "enabled", "a.b", "x[y]", "p/q", "h#1", `s\t`, "", "@atlas.json",
		"definitionId", "valueJson", "settingsDelta",
	}
	genStrings = []string{
		"", "a", "b", "x]y", "#1", "a.b", "p/q", `\`, "true", "1",
		"device_vendor_msft_bitlocker_x", "device_vendor_msft_bitlocker_x_1", "device_vendor_msft_bitlocker_x_y",
		"#microsoft.graph.allDevicesAssignmentTarget", "#microsoft.graph.groupAssignmentTarget",
		"IyEvYmluL3NoCmVjaG8gaGkK", "IyEvYmluL3NoCmVjaG8gaG8K", "groupPolicyDefinitions('d1')",
	}
)

func genValue(r *rand.Rand, depth int) any {
	n := 4
	if depth <= 0 {
		n = 2
	}
	switch r.IntN(n + 4) {
	case 0:
		return genStrings[r.IntN(len(genStrings))]
	case 1:
		return json.Number([]string{"0", "1", "1.0", "-2", "1e3"}[r.IntN(5)])
	case 2:
		return r.IntN(2) == 0
	case 3:
		return nil
	case 4, 5, 6:
		m := map[string]any{}
		for range r.IntN(4) {
			m[genKeys[r.IntN(len(genKeys))]] = genValue(r, depth-1)
		}
		return m
	default:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = genValue(r, depth-1)
		}
		return a
	}
}

// mutate changes a copy of v at one node picked evenly among all its nodes, so
// deep settings-catalog children are changed as often as top-level keys.
func mutate(r *rand.Rand, v any) any {
	var paths [][]any
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		paths = append(paths, path)
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				walk(x[k], append(slices.Clip(path), k))
			}
		case []any:
			for i, e := range x {
				walk(e, append(slices.Clip(path), i))
			}
		}
	}
	walk(v, nil)
	return replaceAt(v, paths[r.IntN(len(paths))], func(node any) any { return mutateHere(r, node) })
}

// replaceAt returns a copy of v with the node at path replaced by change(node).
func replaceAt(v any, path []any, change func(any) any) any {
	if len(path) == 0 {
		return change(v)
	}
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = e
		}
		k := path[0].(string)
		m[k] = replaceAt(x[k], path[1:], change)
		return m
	case []any:
		a := slices.Clone(x)
		i := path[0].(int)
		a[i] = replaceAt(x[i], path[1:], change)
		return a
	}
	return v
}

// mutateHere changes one node: a value replaced, a key dropped or added, an
// array element dropped, doubled or moved.
func mutateHere(r *rand.Rand, v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = e
		}
		keys := sortedKeys(m)
		switch op := r.IntN(6); {
		case op == 0 || len(keys) == 0:
			m[genKeys[r.IntN(len(genKeys))]] = genValue(r, 2)
		case op == 1:
			delete(m, keys[r.IntN(len(keys))])
		default:
			m[keys[r.IntN(len(keys))]] = genValue(r, 1)
		}
		return m
	case []any:
		a := append([]any(nil), x...)
		switch op := r.IntN(6); {
		case op == 0 || len(a) == 0:
			a = append(a, genValue(r, 2))
		case op == 1:
			i := r.IntN(len(a))
			a = append(a[:i], a[i+1:]...)
		case op == 2:
			a = append(a, a[r.IntN(len(a))])
		case op == 3:
			i, j := r.IntN(len(a)), r.IntN(len(a))
			a[i], a[j] = a[j], a[i]
		default:
			a[r.IntN(len(a))] = genValue(r, 1)
		}
		return a
	}
	return genValue(r, 1)
}

func TestPropertiesOnGeneratedPayloads(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 2026))
	for range 20000 {
		a := genValue(r, 5)
		b := mutate(r, a)
		if r.IntN(4) == 0 {
			b = genValue(r, 5)
		}
		checkProperties(t, a, b)
	}
}

// Real payloads changed at random places keep both laws: this walks the
// settings-catalog, template, assignment and script code with real shapes.
func TestPropertiesOnMutatedRealPayloads(t *testing.T) {
	root := shareddata.Dir(t, "intune")
	var payloads []any
	if err := intune.Read(os.DirFS(root), func(e intune.Entry) error {
		if e.Object != nil {
			payloads = append(payloads, e.Object.Payload)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 5))
	for range 800 {
		a := payloads[r.IntN(len(payloads))]
		b := a
		for range 1 + r.IntN(3) {
			b = mutate(r, b)
		}
		checkProperties(t, a, b)
	}
}

// FuzzCompare compares arbitrary JSON pairs: no panic, and both laws hold.
func FuzzCompare(f *testing.F) {
	f.Add([]byte(`{"settings":[{"settingInstance":{"settingDefinitionId":"a","choiceSettingValue":{"value":"a_1","children":[]}}}]}`),
		[]byte(`{"settings":[{"settingInstance":{"settingDefinitionId":"a","choiceSettingValue":{"value":"a_0","children":[]}}}]}`))
	f.Add([]byte(`[{"definition@odata.bind":"x('1')","enabled":"true"}]`), []byte(`[{"definition@odata.bind":"x('1')","enabled":"false"}]`))
	f.Add([]byte(`{"assignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]}`), []byte(`{"assignments":[]}`))
	f.Add([]byte(`{"scriptContent":"IyEvYmluL3NoCmVjaG8gaGkK"}`), []byte(`{"scriptContent":"IyEvYmluL3NoCmVjaG8gaG8K"}`))
	f.Add([]byte(`{"a":[1,2,{"name":"x"}]}`), []byte(`{"a":[2,1,{"name":"x","v":1}]}`))
	f.Add([]byte(`{"a":[{"omaUri":"x","v":1}]}`), []byte(`{"a":[{"displayName":"x","v":1}]}`))
	f.Add([]byte(`{"settings":[{"definitionId":"d--p_a","valueJson":"true","value":true},{"definitionId":"d--p_b","valueJson":"\"x\""}]}`),
		[]byte(`{"settings":[{"definitionId":"d--p_a","valueJson":"false","value":false},{"definitionId":"d--p_b","value":"x"}]}`))
	f.Add([]byte(`{"a":"1","b":null}`), []byte(`{"a":1,"b":""}`))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		a, errA := intune.Decode(x)
		b, errB := intune.Decode(y)
		if errA != nil || errB != nil {
			return
		}
		checkProperties(t, a, b)
	})
}
