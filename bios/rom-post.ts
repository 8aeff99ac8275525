/**
 * POST in x86 (assembled by core/asm into the ROM): CMOS shutdown resume, stack, 8259 pair, 8254, 8042 and
 * keyboard, IVT, BDA/EBDA, COM1, then the TypeScript part of POST (drive geometry, tick count), video mode 3
 * and INT 19h. Runs at F000:xxxx with interrupts off until the very end.
 */
export const POST_SOURCE = `
; ---------------------------------------------------------------------------------------------- POST
post:
        cli
        cld
        ; CMOS shutdown status (0Fh): software that reset the CPU to leave protected mode asks POST to
        ; resume through the far pointer at 40:67h (05h: with EOI and keyboard flush, 0Ah: plain jump).
        mov al, 0x8f
        out 0x70, al
        in al, 0x71
        mov bl, al
        mov al, 0x8f
        out 0x70, al
        xor al, al
        out 0x71, al
        mov al, 0x0d                    ; NMI back on
        out 0x70, al
        cmp bl, 0x05
        je resume_with_eoi
        cmp bl, 0x0a
        je resume_jump

        xor ax, ax
        mov ss, ax
        mov sp, 0x7c00
        mov ds, ax
        mov es, ax
        mov dx, [0x472]                 ; the warm-boot flag survives the clearing below
        xor di, di                      ; IVT and BDA: 0000-04FF
        mov cx, 0x280
        rep stosw
        mov [0x472], dx

        call init_pic
        call init_pit
        call init_kbc
        in al, 0x92                     ; A20 on through the fast gate, as the board powers up
        or al, 0x02
        and al, 0xfe
        out 0x92, al
        call init_ivt
        call init_bda
        call init_serial
        bioscall SVC_POSTINIT           ; drives and their geometry, tick count from the RTC
        mov ax, 0x0003                  ; 80x25 colour text
        int 0x10
        mov si, banner
        call print
        sti
        call boot_menu
        int 0x19
        jmp int19.failed

resume_with_eoi:
        in al, 0x60
        mov al, 0x20
        out 0xa0, al
        out 0x20, al
resume_jump:
        xor ax, ax
        mov ds, ax
        jmp far [0x467]

; 8259 pair: master at vectors 08h-0Fh, slave at 70h-77h on IRQ2; IRQ0, 1, 2 unmasked.
init_pic:
        mov al, 0x11                    ; ICW1: edge, cascade, ICW4 follows
        out 0x20, al
        out 0xa0, al
        mov al, 0x08                    ; ICW2: vector bases
        out 0x21, al
        mov al, 0x70
        out 0xa1, al
        mov al, 0x04                    ; ICW3: slave on IRQ2 / slave id 2
        out 0x21, al
        mov al, 0x02
        out 0xa1, al
        mov al, 0x01                    ; ICW4: 8086 mode, normal EOI
        out 0x21, al
        out 0xa1, al
        mov al, 0xf8
        out 0x21, al
        mov al, 0xff
        out 0xa1, al
        ret

; 8254: channel 0 mode 3 divisor 65536 (18.2 Hz), channel 2 mode 3 at 896 Hz for the speaker.
init_pit:
        mov al, 0x36
        out 0x43, al
        xor al, al
        out 0x40, al
        out 0x40, al
        mov al, 0xb6
        out 0x43, al
        mov al, 0x33
        out 0x42, al
        mov al, 0x05
        out 0x42, al
        ret

; 8042: self test, keyboard interface on, keyboard reset and scanning, then IRQ1 with translation.
init_kbc:
        call kbc_flush
        mov al, 0xaa
        call kbc_command
        call kbc_read
        mov al, 0x60                    ; command byte: translate, aux off, system flag, no IRQ yet
        call kbc_command
        mov al, 0x64
        call kbc_write
        mov al, 0xae
        call kbc_command
        mov al, 0xff                    ; keyboard reset: FA, then AA
        call kbc_write
        call kbc_read
        call kbc_read
        mov al, 0xf4                    ; enable scanning: FA
        call kbc_write
        call kbc_read
        mov al, 0x60
        call kbc_command
        mov al, 0x65                    ; and keyboard IRQ1
        call kbc_write
        call kbc_flush
        ret

kbc_flush:
        mov cx, 16
.next:  in al, 0x64
        test al, 1
        jz .done
        in al, 0x60
        loop .next
.done:  ret

kbc_command:
        push ax
        call kbc_wait_input
        pop ax
        out 0x64, al
        ret

kbc_write:
        push ax
        call kbc_wait_input
        pop ax
        out 0x60, al
        ret

kbc_wait_input:                         ; until the controller has taken the last byte (bounded)
        push cx
        xor cx, cx
.wait:  in al, 0x64
        test al, 2
        loopnz .wait
        pop cx
        ret

kbc_read:                               ; AL = next byte from the controller; CF=1 after ~16 x 64Ki polls
        push cx
        push dx
        mov dx, 16
.outer: xor cx, cx
.wait:  in al, 0x64
        test al, 1
        jnz .got
        loop .wait
        dec dx
        jnz .outer
        pop dx
        pop cx
        stc
        ret
.got:   in al, 0x60
        pop dx
        pop cx
        clc
        ret

; IVT: every vector to the dummy IRET, then the handlers of vector_table; no font tables yet (1Fh, 43h).
init_ivt:
        xor ax, ax
        mov es, ax
        xor di, di
        mov cx, 256
.fill:  mov ax, dummy_iret
        stosw
        mov ax, cs
        stosw
        loop .fill
        mov si, vector_table
        mov cx, VECTOR_COUNT
.set:   cs lodsw
        mov di, ax
        cs lodsw
        stosw
        mov ax, cs
        stosw
        loop .set
        xor ax, ax
        mov [es:0x1f*4], ax
        mov [es:0x1f*4+2], ax
        mov [es:0x43*4], ax
        mov [es:0x43*4+2], ax
        ret

vector_table:
        dw 0x08*4, int08
        dw 0x09*4, int09
        dw 0x0a*4, irq_master
        dw 0x0b*4, irq_master
        dw 0x0c*4, irq_master
        dw 0x0d*4, irq_master
        dw 0x0e*4, irq_master
        dw 0x0f*4, irq_master
        dw 0x10*4, int10
        dw 0x11*4, int11
        dw 0x12*4, int12
        dw 0x13*4, int13
        dw 0x14*4, int14
        dw 0x15*4, int15
        dw 0x16*4, int16
        dw 0x17*4, int17
        dw 0x18*4, int18
        dw 0x19*4, int19
        dw 0x1a*4, int1a
        dw 0x1d*4, video_params
        dw 0x1e*4, diskette_params
        dw 0x40*4, int13
        dw 0x70*4, int70
        dw 0x71*4, irq_slave
        dw 0x72*4, irq_slave
        dw 0x73*4, irq_slave
        dw 0x74*4, irq_slave
        dw 0x75*4, irq_slave
        dw 0x76*4, irq_slave
        dw 0x77*4, irq_slave
VECTOR_COUNT equ ($ - vector_table) / 4

; BDA: COM1, base memory from CMOS less 1 KiB of EBDA, equipment word, keyboard buffer.
init_bda:
        mov ax, 0x40
        mov ds, ax
        mov word [0x00], 0x3f8
        mov al, 0x16
        call cmos_read
        mov ah, al
        mov al, 0x15
        call cmos_read
        cmp ax, 640
        ja .standard
        cmp ax, 64
        jae .known
.standard:
        mov ax, 640
.known: dec ax
        mov [0x13], ax
        mov cl, 6
        shl ax, cl
        mov [0x0e], ax
        mov es, ax                      ; clear the EBDA; its first byte is its size in KiB
        xor di, di
        mov cx, 512
        xor ax, ax
        rep stosw
        mov byte [es:0], 1
        mov si, boot_order              ; the configured boot order (the F12 menu may change the EBDA copy)
        mov di, EBDA_BOOT_ORDER
        mov cx, BOOT_ORDER_LENGTH
.order: cs lodsb
        stosb
        loop .order
        mov al, 0x14                    ; CMOS equipment byte: floppies, x87
        call cmos_read
        and al, 0xc3
        or al, 0x20                     ; initial video: 80x25 colour
        mov ah, 0x02                    ; one serial port
        mov [0x10], ax
        mov ax, 0x1e
        mov [0x1a], ax
        mov [0x1c], ax
        mov [0x80], ax
        mov word [0x82], 0x3e
        mov byte [0x96], 0x10           ; 101/102-key keyboard
        xor ax, ax
        mov ds, ax
        mov es, ax
        ret

cmos_read:                              ; AL = CMOS[AL]
        out 0x70, al
        in al, 0x71
        ret

; COM1: 115200 baud 8N1, FIFOs on, DTR and RTS, no interrupts.
init_serial:
        mov dx, 0x3fb
        mov al, 0x80
        out dx, al
        mov dx, 0x3f8
        mov al, 0x01
        out dx, al
        inc dx
        xor al, al
        out dx, al
        mov dx, 0x3fb
        mov al, 0x03
        out dx, al
        mov dx, 0x3fa
        mov al, 0x07
        out dx, al
        mov dx, 0x3fc
        mov al, 0x03
        out dx, al
        mov dx, 0x3f9
        xor al, al
        out dx, al
        ret
`;
