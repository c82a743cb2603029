package catalog

import "testing"

// BenchmarkLoad is the first use of the dictionary: decompressing and decoding
// the embedded file into its lookup table.
func BenchmarkLoad(b *testing.B) {
	b.SetBytes(int64(len(embedded)))
	for b.Loop() {
		if _, err := Decode(embedded); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDescriptions is the first description a page shows: the rest of the
// dictionary, read on demand.
func BenchmarkDescriptions(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		d, err := Decode(embedded)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		def, _ := d.Lookup("device_vendor_msft_bitlocker_requiredeviceencryption")
		if def.Description() == "" {
			b.Fatal("no description")
		}
	}
}
