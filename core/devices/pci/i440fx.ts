/**
 * The Intel 82441FX PCI and Memory Controller (PMC) of the 440FX chipset, as the host bridge at bus 0
 * slot 0 (8086:1237). The guest sees its identity and its registers as storage; the memory it controls
 * (RAM size, PAM shadow regions, SMRAM) is fixed by the machine, so writes to those registers change nothing.
 */
import { PciConfigSpace, type PciFunction } from './pci.js';

/** PAM0–PAM6 (59h–5Fh) control shadowing of C0000h–FFFFFh; power-on: everything goes to the PCI bus (0). */
const PAM0 = 0x59;
/** SMRAM control register; power-on value 02h (C_BASE_SEG = A0000h). */
const SMRAM = 0x72;

export class I440fx implements PciFunction {
  readonly name = 'i440fx';
  readonly config = new PciConfigSpace({
    vendorId: 0x8086,
    deviceId: 0x1237,
    revision: 0x02,
    classCode: 0x060000, // bridge, host bridge
  });

  constructor() {
    this.config.setResetValue(PAM0, 0x00);
    this.config.setResetValue(SMRAM, 0x02);
  }
}
