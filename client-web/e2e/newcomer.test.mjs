// The newcomer's flow through the interface only: sign up, create a book, invite a second
// account by link, both edit live; the wall carries comments and page notes between them.
// With FOLIO_README_SCREENSHOTS=1 the flow's screenshots also go to docs/screenshots/.

import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';

import { ARTIFACTS, CLIENT_DIR, launchBrowser, newContext, shot, startFolio, threePhotos, waitFor, shotAfter } from './support.mjs';

const SUITE = 'newcomer';
const README_SHOTS = path.join(CLIENT_DIR, 'docs', 'screenshots');

async function readmeShot(page, name) {
  await shot(page, SUITE, name);
  if (process.env.FOLIO_README_SCREENSHOTS) {
    await mkdir(README_SHOTS, { recursive: true });
    await copyFile(path.join(ARTIFACTS, SUITE, `${name}.png`), path.join(README_SHOTS, `${name}.png`));
  }
}

async function signUpInForm(page, name) {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(`${name.toLowerCase()}-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery');
}

describe('a newcomer makes a book with a friend', () => {
  let server, browser, pageA, pageC, inviteUrl;

  before(async () => {
    server = await startFolio();
    browser = await launchBrowser();
  });

  afterEach(async (t) => shotAfter(SUITE, t.name, { A: pageA, C: pageC }));

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs up and creates a book with a product and theme', async () => {
    pageA = await (await newContext(browser)).newPage();
    await pageA.goto(`${server.url}/`);
    await pageA.getByRole('button', { name: 'Sign up' }).click();
    await signUpInForm(pageA, 'Ann');
    await readmeShot(pageA, '1-sign-up');
    await pageA.getByRole('button', { name: 'Sign up' }).click();
    await pageA.getByRole('heading', { name: 'Your books' }).waitFor();
    await pageA.getByRole('button', { name: 'New book' }).click();
    await pageA.getByLabel('Title').fill('Grandma’s 80th');
    await pageA.getByLabel('Product').selectOption('square-12x12');
    await pageA.locator('input[name=theme][value=birthday]').check().catch(() => undefined);
    await readmeShot(pageA, '2-new-book');
    await pageA.getByRole('button', { name: 'Create book' }).click();
    await pageA.locator('[data-testid=connection-status][data-status=synced]').waitFor({ timeout: 15_000 });
  });

  it('uploads photos and lets automix design the book', async () => {
    await pageA.locator('[data-testid=photo-input]').setInputFiles(threePhotos());
    await waitFor(async () => (await pageA.locator('[data-testid=upload][data-state=done]').count()) === 3, 30_000, 'three uploads');
    await pageA.getByRole('button', { name: 'Automix' }).click();
    await pageA.locator('[data-testid=job-automix][data-state=done]').waitFor({ timeout: 60_000 });
    await waitFor(() => pageA.locator('.canvas img[data-photo-id]').evaluateAll((imgs) => imgs.length >= 3 && imgs.every((i) => i.complete && i.naturalWidth > 0)), 15_000, 'the placed photos to load');
    await pageA.getByRole('button', { name: 'Show page 2' }).click();
    await pageA.getByRole('tab', { name: 'Insert' }).click();
    await pageA.getByRole('button', { name: '+ Text box' }).click();
    await pageA.locator('.canvas .item-text.selected').dblclick();
    await pageA.getByRole('textbox', { name: 'Caption text' }).pressSequentially('Happy birthday, Grandma!', { delay: 10 });
    await pageA.keyboard.press('Escape');
    await readmeShot(pageA, '3-automix');
  });

  it('invites a second account by link, who signs up and accepts', async () => {
    await pageA.getByRole('tab', { name: 'People' }).click();
    await pageA.getByLabel('Role for the invite').selectOption('editor');
    await pageA.getByRole('button', { name: 'Create invite link' }).click();
    inviteUrl = await pageA.locator('[data-testid=invite-link]').inputValue();
    assert.match(inviteUrl, /\/invite\//);
    await pageA.getByRole('button', { name: 'Copy' }).click();
    await readmeShot(pageA, '4-invite-link');

    pageC = await (await newContext(browser)).newPage();
    await pageC.goto(inviteUrl);
    await pageC.getByRole('heading', { name: /Grandma’s 80th/ }).waitFor();
    await signUpInForm(pageC, 'Cat');
    await pageC.getByRole('button', { name: 'Sign up' }).click();
    await pageC.getByRole('button', { name: 'Accept invitation' }).waitFor();
    await readmeShot(pageC, '5-accept-invite');
    await pageC.getByRole('button', { name: 'Accept invitation' }).click();
    await pageC.locator('[data-testid=connection-status][data-status=synced]').waitFor({ timeout: 15_000 });
    await pageC.locator('.canvas .item-text', { hasText: 'Happy birthday, Grandma!' }).waitFor({ timeout: 5000 });
    await pageC.locator('.canvas img[data-photo-id]').first().waitFor({ timeout: 10_000 });
    await pageA.locator('[data-testid=member][data-user="Cat"]').waitFor({ timeout: 5000 });
    assert.equal(await pageC.locator('[data-testid=role]').textContent(), 'editor');
  });

  it('both edit live', async () => {
    await pageC.getByRole('button', { name: 'Show page 2' }).click();
    await pageA.getByRole('button', { name: 'Show page 2' }).click();
    await pageC.getByRole('tab', { name: 'Insert' }).click();
    await pageC.getByRole('button', { name: 'Sticker ✿' }).click();
    await pageA.locator('.canvas .item-sticker', { hasText: '✿' }).waitFor({ timeout: 5000 });
    const text = pageC.locator('.canvas .item-text', { hasText: 'Happy birthday' });
    await text.dblclick();
    await pageC.keyboard.press('End');
    await pageC.keyboard.type(' Love, Cat', { delay: 10 });
    await pageA.locator('.canvas .item-text', { hasText: 'Love, Cat' }).waitFor({ timeout: 5000 });
    const sticker = pageA.locator('.canvas .item-sticker').first();
    const box = await sticker.boundingBox();
    await pageA.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await pageA.mouse.down();
    await pageA.mouse.move(box.x - 40, box.y + 30, { steps: 6 });
    await pageA.mouse.up();
    const moved = await sticker.getAttribute('data-box');
    await waitFor(async () => (await pageC.locator('.canvas .item-sticker').first().getAttribute('data-box')) === moved, 2000, 'Cat to see the sticker move');
    const page = await pageC.locator('.canvas [data-testid=page]').nth(1).boundingBox();
    await pageC.mouse.move(page.x + page.width * 0.5, page.y + page.height * 0.45);
    await pageC.mouse.move(page.x + page.width * 0.52, page.y + page.height * 0.47);
    await pageA.locator('.canvas [data-testid=remote-cursor][data-user="Cat"]').waitFor({ timeout: 5000 });
    await readmeShot(pageA, '6-both-editing-ann');
    await readmeShot(pageC, '7-both-editing-cat');
  });

  it('a wall comment and a page note from A reach C, and the note links to the page', async () => {
    await pageA.getByRole('tab', { name: 'Wall' }).click();
    await pageC.getByRole('tab', { name: 'Wall' }).click();
    await pageA.getByLabel('Write on the wall').fill('Looks lovely!');
    await pageA.getByRole('button', { name: 'Post' }).click();
    await pageC.locator('[data-testid=comment]', { hasText: 'Looks lovely!' }).waitFor({ timeout: 5000 });

    await pageA.getByRole('button', { name: 'Show page 2' }).click();
    await pageA.getByLabel('Note on the selected page').check();
    await pageA.getByLabel('Write on the wall').fill('Can we use a bigger photo here?');
    await pageA.getByRole('button', { name: 'Post' }).click();
    const note = pageC.locator('[data-testid=comment]', { hasText: 'bigger photo' });
    await note.waitFor({ timeout: 5000 });
    await pageC.locator('.canvas').click({ position: { x: 5, y: 5 } });
    await note.getByRole('button', { name: '→ Page 2' }).click();
    await pageC.locator('.canvas .page-wrap.current').waitFor({ timeout: 5000 });
    await readmeShot(pageC, '8-wall-note');
  });
});
