/**
 * Interrupt handlers in x86: the parts the guest must see behave like hardware (IRQ handlers with EOI,
 * the INT 15h/4Fh and INT 1Ch hooks, STI;HLT waits, INT 19h booting through INT 13h). Everything else is a
 * one-line stub around a trap into TypeScript (see services.ts). A service reached from a stub runs with
 * the caller's IRET frame at SS:SP, which is how it returns CF/ZF to the caller.
 */
export const HANDLERS_SOURCE = `
; ------------------------------------------------------------------------------------------ IRQs
int08:                                  ; IRQ0: timer tick
        push ds
        push ax
        mov ax, 0x40
        mov ds, ax
        add word [0x6c], 1
        adc word [0x6e], 0
        cmp word [0x6e], 0x18           ; midnight: 1800B0h ticks
        jb .counted
        ja .midnight
        cmp word [0x6c], 0xb0
        jb .counted
.midnight:
        xor ax, ax
        mov [0x6c], ax
        mov [0x6e], ax
        mov byte [0x70], 1
.counted:
        cmp byte [0x40], 0              ; diskette motor countdown; at zero, motors off
        je .motor_done
        dec byte [0x40]
        jnz .motor_done
        and byte [0x3f], 0xf0
        push dx
        mov dx, 0x3f2
        mov al, 0x0c
        out dx, al
        pop dx
.motor_done:
        int 0x1c
        cli
        mov al, 0x20
        out 0x20, al
        pop ax
        pop ds
        iret

int09:                                  ; IRQ1: keyboard
        push ax
        in al, 0x60
        mov ah, 0x4f                    ; keyboard intercept: a hook may change AL or eat the key (CF=0)
        stc
        int 0x15
        jnc .eoi
        bioscall SVC_KEYBOARDIRQ
        jnc .eoi
        int 0x1b                        ; Ctrl+Break
.eoi:   cli
        mov al, 0x20
        out 0x20, al
        pop ax
        iret

int70:                                  ; IRQ8: RTC; reading register C lowers the line
        push ax
        mov al, 0x0c
        out 0x70, al
        in al, 0x71
        test al, 0x20
        jz .eoi
        int 0x4a                        ; alarm
.eoi:   cli
        mov al, 0x20
        out 0xa0, al
        out 0x20, al
        pop ax
        iret

irq_master:                             ; IRQs nobody handles yet
        push ax
        mov al, 0x20
        out 0x20, al
        pop ax
        iret

irq_slave:
        push ax
        mov al, 0x20
        out 0xa0, al
        out 0x20, al
        pop ax
        iret

; -------------------------------------------------------------------------------------- services
int10:
        bioscall SVC_INT10
        iret

int11:                                  ; equipment word
        push ds
        mov ax, 0x40
        mov ds, ax
        mov ax, [0x10]
        pop ds
        iret

int12:                                  ; base memory in KiB
        push ds
        mov ax, 0x40
        mov ds, ax
        mov ax, [0x13]
        pop ds
        iret

int13:
        sti
        bioscall SVC_INT13
        iret

int14:
        sti
        bioscall SVC_INT14
        iret

int15:
        cmp ah, 0x4f                    ; keyboard intercept: keep the key, flags as the caller set them
        je .done
        cmp ah, 0x86
        je .wait
        bioscall SVC_INT15
.done:  iret
.wait:  sti
        bioscall SVC_WAITSTART
        jc .done
.poll:  push cx                         ; spin a little between polls (a trap costs more than 200 LOOPs)
        mov cx, 200
.spin:  loop .spin
        pop cx
        bioscall SVC_WAITPOLL
        jc .poll
        iret

int16:
        cmp ah, 0x00
        je .read
        cmp ah, 0x10
        je .read
        bioscall SVC_INT16
        iret
.read:  cli                             ; check and sleep without missing the IRQ in between
        bioscall SVC_KEYBOARDREAD
        jnz .done
        sti
        hlt
        jmp .read
.done:  iret

int17:
        bioscall SVC_INT17
        iret

int1a:
        sti
        cmp ah, 0x02                    ; RTC functions: wait (bounded) for the update cycle to end
        jb .call
        cmp ah, 0x07
        ja .call
        push ax
        push cx
        xor cx, cx
.uip:   mov al, 0x0a
        out 0x70, al
        in al, 0x71
        test al, 0x80
        loopnz .uip
        pop cx
        pop ax
.call:  bioscall SVC_INT1A
        iret

; ---------------------------------------------------------------------------------------- booting
int18:                                  ; no ROM BASIC: say so and wait, as when nothing boots
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        jmp int19.failed

int19:                                  ; try the devices of the boot order in the EBDA, in turn
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        xor bx, bx
.next:  push ds
        mov ds, [0x40e]
        mov al, [bx + EBDA_BOOT_ORDER]
        pop ds
        push bx
        cmp al, BOOT_FLOPPY
        jne .hd
        mov dl, 0x00
        call boot_from
        jmp .tried
.hd:    cmp al, BOOT_HD
        jne .cd
        mov dl, 0x80
        call boot_from
        jmp .tried
.cd:    cmp al, BOOT_CDROM
        jne .tried
        call boot_cd
.tried: pop bx
        inc bx
        cmp bx, BOOT_ORDER_LENGTH
        jb .next
.failed:
        bioscall SVC_BOOTFAILED
        mov si, msg_no_boot
        call print_both
        xor ah, ah
        int 0x16
        jmp int19

boot_cd:                                ; El Torito; returns when no CD boots
        bioscall SVC_BOOTCD             ; CF=0: image loaded, AX:BX = entry, DL = boot drive
        jc .none
        mov si, msg_boot_cd
        call print
        push ax
        push bx
        retf
.none:  ret

; POST: "Press F12 for boot menu" for BOOT_MENU_TICKS timer ticks (interrupts on). The menu's choice becomes
; the whole boot order in the EBDA, for this boot.
boot_menu:
        mov cx, BOOT_MENU_TICKS
        test cx, cx
        jz .done
        mov si, msg_menu_prompt
        call print
        mov bx, [0x46c]
.wait:  mov ah, 0x11
        int 0x16
        jz .idle
        mov ah, 0x10
        int 0x16
        cmp ah, 0x86                    ; F12
        je .menu
.idle:  hlt
        mov ax, [0x46c]
        sub ax, bx
        cmp ax, cx
        jb .wait
        mov si, msg_menu_clear
        call print
.done:  ret
.menu:  mov si, msg_menu
        call print
.key:   mov ah, 0x10
        int 0x16
        cmp al, 27                      ; Esc: the configured order
        je .chosen
        cmp al, '1'
        jb .key
        cmp al, '3'
        ja .key
        mov ah, '4'                     ; 1 CD-ROM (3), 2 hard disk (2), 3 floppy (1)
        sub ah, al
        push ds
        mov ds, [0x40e]
        mov [EBDA_BOOT_ORDER], ah
        mov byte [EBDA_BOOT_ORDER + 1], 0
        pop ds
.chosen:
        mov si, msg_crlf
        call print
        ret

boot_from:                              ; DL = drive; returns when it does not boot
        mov bp, 3
.try:   xor ax, ax
        mov es, ax
        int 0x13
        mov ax, 0x0201
        mov cx, 0x0001
        xor dh, dh
        mov bx, 0x7c00
        int 0x13
        jnc .loaded
        dec bp
        jnz .try
        ret
.loaded:
        test dl, 0x80                   ; hard disks need the 55AA signature
        jz .go
        cmp word [0x7dfe], 0xaa55
        jne .unsigned
        mov si, msg_boot_hd
        jmp .print
.go:    mov si, msg_boot_fd
.print: call print
        jmp 0x0000:0x7c00
.unsigned:
        mov si, msg_no_signature
        call print_both
        ret

; ------------------------------------------------------------------------------------------ output
print:                                  ; CS:SI zero-terminated → screen (INT 10h teletype)
        push ax
        push bx
        push si
.next:  cs lodsb
        test al, al
        jz .done
        mov ah, 0x0e
        mov bx, 0x0007
        int 0x10
        jmp .next
.done:  pop si
        pop bx
        pop ax
        ret

print_both:                             ; CS:SI → screen and COM1
        call print
        push ax
        push si
.next:  cs lodsb
        test al, al
        jz .done
        call serial_out
        jmp .next
.done:  pop si
        pop ax
        ret

serial_out:                             ; AL → COM1, after a bounded wait for the transmitter
        push ax
        push cx
        push dx
        mov ah, al
        mov dx, 0x3fd
        xor cx, cx
.wait:  in al, dx
        test al, 0x20
        loopz .wait
        mov al, ah
        mov dx, 0x3f8
        out dx, al
        pop dx
        pop cx
        pop ax
        ret

banner:           db 'co86 BIOS', 13, 10, 0
msg_boot_fd:      db 'Booting from floppy...', 13, 10, 0
msg_boot_hd:      db 'Booting from hard disk...', 13, 10, 0
msg_boot_cd:      db 'Booting from CD-ROM...', 13, 10, 0
msg_menu_prompt:  db 'Press F12 for boot menu', 13, 0
msg_menu_clear:   db '                       ', 13, 0
msg_menu:         db 13, 10, 'Boot menu: 1. CD-ROM  2. Hard disk  3. Floppy  (Esc: default order)', 13, 10, 0
msg_crlf:         db 13, 10, 0
msg_no_signature: db 'Hard disk 80h has no boot signature (55AA).', 13, 10, 0
msg_no_boot:      db 'No bootable disk. Insert a boot disk and press a key to retry.', 13, 10, 0
`;
