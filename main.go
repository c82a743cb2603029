// Command atlas governs many customers' Microsoft Intune estates from one laptop.
package main

import "fmt"

func main() { fmt.Println("atlas") }
